use std::path::Path;

use super::*;

/// What the client makes of the input as the first page of the catalog and of a tag
/// list, in that order.
fn read_list_pages(data: &[u8]) -> Vec<PageOutcome> {
    LISTS.iter().map(|&(kind, what, path, url)| take_first_page(kind, what, path, &page_of(data, url)).0).collect()
}

/// The outcome for the catalog and for the tag list, after checking every input
/// through the fuzz target's own checks as well.
fn pages(data: &[u8]) -> (PageOutcome, PageOutcome) {
    list_pages(data);
    let mut outcomes = read_list_pages(data).into_iter();
    (outcomes.next().unwrap(), outcomes.next().unwrap())
}

fn outcome(names: &[&str], next: Result<Option<&str>, &str>) -> PageOutcome {
    PageOutcome {
        names: names.iter().map(|n| n.to_string()).collect(),
        next: next.map(|n| n.map(str::to_string)).map_err(str::to_string),
    }
}

const CATALOG_PAGE: &[u8] = br#"{"repositories":["a","b"]}"#;

fn with_link(link: &str, body: &[u8]) -> Vec<u8> {
    [link.as_bytes(), b"\n", body].concat()
}

fn catalog(link: &str) -> PageOutcome {
    pages(&with_link(link, CATALOG_PAGE)).0
}

#[test]
fn a_relative_next_link_is_followed_on_the_same_path() {
    let (catalog, tags) = pages(&with_link(r#"</v2/_catalog?last=b&n=2>; rel="next""#, CATALOG_PAGE));
    assert_eq!(catalog, outcome(&["a", "b"], Ok(Some("/v2/_catalog?last=b&n=2"))));
    // The same page as a tag list: no `tags`, and the link leaves the list's path.
    let leaves = "tags: the registry's next-page link leaves /v2/library/app/tags/list (for \"/v2/_catalog\"); \
                  not followed";
    assert_eq!(tags, outcome(&[], Err(leaves)));
}

#[test]
fn a_tag_list_page_is_read_as_one() {
    let page = with_link(
        r#"</v2/library/app/tags/list?last=1.0&n=2>; rel="next""#,
        br#"{"name":"library/app","tags":["1.0","latest","1.0"]}"#,
    );
    let (catalog, tags) = pages(&page);
    assert_eq!(tags, outcome(&["1.0", "latest"], Ok(Some("/v2/library/app/tags/list?last=1.0&n=2"))));
    assert_eq!(
        catalog.next,
        Err("catalog: the registry's next-page link leaves /v2/_catalog (for \"/v2/library/app/tags/list\"); \
             not followed"
            .into())
    );
}

#[test]
fn absolute_links_to_the_registry_are_followed_and_others_refused() {
    let same = Ok(Some("/v2/_catalog?last=b"));
    assert_eq!(catalog(r#"<http://127.0.0.1:5000/v2/_catalog?last=b>; rel="next""#), outcome(&["a", "b"], same));
    // Only the path and query are kept: the request goes to the registry, by its scheme.
    assert_eq!(catalog(r#"<https://127.0.0.1:5000/v2/_catalog?last=b>; rel="next""#), outcome(&["a", "b"], same));
    assert_eq!(catalog(r#"<http://127.1:5000/v2/_catalog?last=b>; rel="next""#), outcome(&["a", "b"], same));
    let elsewhere = |authority: &str| {
        format!("catalog: the registry's next-page link points to {authority} (another host); not followed")
    };
    for (link, authority) in [
        (r#"<http://evil.example:5000/v2/_catalog?last=b>; rel="next""#, "evil.example:5000"),
        (r#"<http://127.0.0.1/v2/_catalog?last=b>; rel="next""#, "127.0.0.1"),
        (r#"<//127.0.0.1:5001/v2/_catalog?last=b>; rel="next""#, "127.0.0.1:5001"),
        (r#"<http://127.0.0.1:5000@evil.example/v2/_catalog>; rel="next""#, "evil.example"),
    ] {
        assert_eq!(catalog(link), outcome(&["a", "b"], Err(&elsewhere(authority))), "{link}");
    }
}

#[test]
fn the_next_link_is_picked_among_several_with_or_without_quotes() {
    let links = r#"</v2/_catalog?last=0>; rel="prev", </v2/_catalog?last=c&n=2>; rel=next, </x>; rel="last""#;
    assert_eq!(catalog(links), outcome(&["a", "b"], Ok(Some("/v2/_catalog?last=c&n=2"))));
    assert_eq!(catalog("</v2/_catalog?last=c>; REL=NEXT"), outcome(&["a", "b"], Ok(Some("/v2/_catalog?last=c"))));
    assert_eq!(catalog(r#"</v2/_catalog?last=c>; rel="prev""#), outcome(&["a", "b"], Ok(None)));
    // Quotes in the link itself are percent-encoded, as the request will send them.
    assert_eq!(
        catalog(r#"</v2/_catalog?last="b c"&n=2>; rel="next""#),
        outcome(&["a", "b"], Ok(Some("/v2/_catalog?last=%22b%20c%22&n=2")))
    );
}

#[test]
fn a_link_back_to_the_page_just_read_ends_the_list() {
    let repeats = "catalog: the registry's next-page link repeats a page already read";
    for link in [r#"<>; rel="next""#, r#"<?n=100>; rel="next""#, r#"</v2/_catalog?n=100#x>; rel="next""#] {
        assert_eq!(catalog(link), outcome(&["a", "b"], Err(repeats)), "{link}");
    }
}

#[test]
fn a_missing_empty_or_unreadable_link_header_ends_the_list() {
    let no_body = "catalog: page 1: not a list of names (EOF while parsing a value at line 1 column 0)";
    assert_eq!(pages(CATALOG_PAGE).0, outcome(&[], Err(no_body)), "no newline: all of it is the header");
    assert_eq!(catalog(""), outcome(&["a", "b"], Ok(None)));
    // Not visible ASCII: the HTTP client gives no text for it, so there is no link.
    assert_eq!(
        pages(&[b"</v2/_catalog?last=\xff>; rel=next\n", CATALOG_PAGE].concat()).0,
        outcome(&["a", "b"], Ok(None))
    );
    // Not a header value at all (a control character): no response carries it.
    assert_eq!(
        pages(&[b"</v2/_catalog?last=\x01>; rel=next\n", CATALOG_PAGE].concat()).0,
        outcome(&["a", "b"], Ok(None))
    );
}

#[test]
fn a_link_that_is_not_a_url_is_an_error_naming_it() {
    assert_eq!(
        catalog(r#"<http://[::1>; rel="next""#),
        outcome(&["a", "b"], Err(r#"catalog: the next-page link "http://[::1" is not a URL (invalid IPv6 address)"#))
    );
}

#[test]
fn bodies_that_are_not_lists_of_names_are_errors() {
    let (catalog, tags) = pages(b"\n{\"repositories\":[\"a\xff\"],\"tags\":null}");
    assert_eq!(
        catalog,
        outcome(&[], Err("catalog: page 1: not a list of names (invalid unicode code point at line 1 column 20)"))
    );
    // A tag list skips the field it does not read, bad bytes and all.
    assert_eq!(tags, outcome(&[], Ok(None)));
    let (catalog, _) = pages(b"\n{\"repositories\":[\"\\u001b[31m\", 1]}");
    assert_eq!(
        catalog,
        outcome(&[], Err("catalog: page 1: not a list of names (invalid type: integer `1`, expected a string at line 1 column 32)"))
    );
    assert_eq!(
        pages(b"\n<html>").0.next,
        Err("catalog: page 1: not a list of names (expected value at line 1 column 1)".into())
    );
    assert_eq!(pages(b"\n{\"repositories\":null}").0, outcome(&[], Ok(None)));
}

#[test]
fn a_page_of_more_names_than_a_list_may_hold_is_refused() {
    let names: Vec<String> = (0..=1_000_000usize).map(|n| format!("r{n}")).collect();
    let body = serde_json::to_vec(&serde_json::json!({ "repositories": names, "tags": ["x", "x"] })).unwrap();
    let (catalog, tags) = pages(&with_link(r#"</v2/_catalog?last=z>; rel="next""#, &body));
    assert_eq!(catalog.next, Err("catalog: more than 1000000 names".to_string()));
    assert_eq!(catalog.names.len(), 1_000_000);
    assert_eq!(catalog.names.last().map(String::as_str), Some("r999999"));
    assert_eq!(tags.names, ["x"]);
}

/// Found by the fuzzer (`fuzz/regressions/registry_pages/`): a link of another scheme
/// on the registry's host and port was followed, but such a URL leaves `'` in its
/// query as it is, so the request sent (`%27`) was not the page checked and counted.
#[test]
fn links_of_other_schemes_are_not_followed() {
    let found = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/regressions/registry_pages/crash-1e2722967cbd6eef9f2b41c13fdeba55bc4b32b6"),
    )
    .unwrap();
    let not_http = "catalog: the registry's next-page link is a htqregistry.examplehttp: URL, not HTTP; not followed";
    assert_eq!(pages(&found).0, outcome(&[], Err(not_http)));
    let ftp = "catalog: the registry's next-page link is a ftp: URL, not HTTP; not followed";
    assert_eq!(catalog(r#"<ftp://127.0.0.1:5000/v2/_catalog?last=b>; rel="next""#), outcome(&["a", "b"], Err(ftp)));
    let other = "catalog: the registry's next-page link is a x: URL, not HTTP; not followed";
    assert_eq!(catalog(r#"<x://127.0.0.1:5000/v2/_catalog?last='b'>; rel=next"#), outcome(&["a", "b"], Err(other)));
}
