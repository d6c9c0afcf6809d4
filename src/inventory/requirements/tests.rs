use std::collections::HashMap;

use super::*;
use crate::inventory::testing::{extract_fixture, extract_str, summarize};

const HANDWRITTEN: &str = "inventory/requirements/handwritten";

/// `path|line|declaration|reason`, one per skipped declaration.
fn skipped(out: &Extracted) -> Vec<String> {
    out.skipped
        .iter()
        .map(|s| {
            let line = s.location.line.map(|l| l.to_string()).unwrap_or_else(|| "-".into());
            format!("{}|{}|{}|{}", s.location.path, line, s.declaration, s.reason)
        })
        .collect()
}

/// A tree of in-memory files, for include chains built in the test.
struct MemoryFiles(HashMap<PathBuf, String>);

impl MemoryFiles {
    fn new(files: &[(&str, &str)]) -> Self {
        MemoryFiles(files.iter().map(|(path, text)| (PathBuf::from(path), text.to_string())).collect())
    }

    fn extract(&self, root: &str) -> Result<Extracted, ExtractError> {
        let content = self.0.get(Path::new(root)).expect("root file").clone();
        Requirements.extract(&Input { path: Path::new(root), content: content.as_bytes(), files: self })
    }
}

impl FileSource for MemoryFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.0.get(path).map(|text| text.clone().into_bytes()).ok_or_else(|| io::ErrorKind::NotFound.into())
    }
}

fn packages_of(text: &str) -> Vec<String> {
    summarize(&extract_str(&Requirements, "requirements.txt", text).unwrap().packages)
}

fn skipped_of(text: &str) -> Vec<String> {
    skipped(&extract_str(&Requirements, "requirements.txt", text).unwrap())
}

#[test]
fn wants_requirements_txt_variants_only() {
    for name in ["requirements.txt", "requirements-dev.txt", "requirements_test.txt", "a/b/requirements.txt"] {
        assert!(Requirements.wants(Path::new(name)), "{name}");
    }
    for name in ["requirements.in", "dev-requirements.txt", "requirements.txt.bak", "Requirements.txt", "reqs.txt"] {
        assert!(!Requirements.wants(Path::new(name)), "{name}");
    }
}

#[test]
fn pip_compile_output_with_hashes_and_via_annotations() {
    let out = extract_fixture(&Requirements, "inventory/requirements/pip-compile/requirements.txt").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "PyPI|asgiref|3.7.2|pkg:pypi/asgiref@3.7.2|11|transitive",
            "PyPI|certifi|2023.7.22|pkg:pypi/certifi@2023.7.22|15|transitive",
            "PyPI|charset-normalizer|3.3.2|pkg:pypi/charset-normalizer@3.3.2|19|transitive",
            "PyPI|django|4.2.7|pkg:pypi/django@4.2.7|24|direct",
            "PyPI|django-anymail|10.2|pkg:pypi/django-anymail@10.2|30|direct",
            "PyPI|idna|3.4|pkg:pypi/idna@3.4|34|transitive",
            "PyPI|requests|2.31.0|pkg:pypi/requests@2.31.0|38|direct",
            "PyPI|sqlparse|0.4.4|pkg:pypi/sqlparse@0.4.4|44|transitive",
            "PyPI|typing-extensions|4.8.0|pkg:pypi/typing-extensions@4.8.0|48|transitive",
            "PyPI|tzdata|2023.3|pkg:pypi/tzdata@2023.3|52|transitive",
            "PyPI|urllib3|2.0.7|pkg:pypi/urllib3@2.0.7|56|transitive",
            "PyPI|setuptools|68.2.2|pkg:pypi/setuptools@68.2.2|64|transitive",
        ]
    );
    assert_eq!(skipped(&out), Vec::<String>::new());
}

#[test]
fn uv_line_annotations_with_project_sources() {
    let out = extract_fixture(&Requirements, "inventory/requirements/uv-line/requirements.txt").unwrap();
    assert_eq!(
        summarize(&out.packages),
        [
            "PyPI|anyio|4.2.0|pkg:pypi/anyio@4.2.0|3|transitive",
            "PyPI|certifi|2023.11.17|pkg:pypi/certifi@2023.11.17|4|transitive",
            "PyPI|click|8.1.7|pkg:pypi/click@8.1.7|5|direct",
            "PyPI|colorama|0.4.6|pkg:pypi/colorama@0.4.6|6|transitive",
            "PyPI|h11|0.14.0|pkg:pypi/h11@0.14.0|7|transitive",
            "PyPI|httpcore|1.0.2|pkg:pypi/httpcore@1.0.2|8|transitive",
            "PyPI|httpx|0.26.0|pkg:pypi/httpx@0.26.0|9|direct",
            "PyPI|idna|3.6|pkg:pypi/idna@3.6|10|transitive",
            "PyPI|respx|0.20.2|pkg:pypi/respx@0.20.2|11|direct",
            "PyPI|sniffio|1.3.0|pkg:pypi/sniffio@1.3.0|12|transitive",
        ]
    );
    assert!(out.skipped.is_empty());
}

#[test]
fn handwritten_file_with_includes_pins_ranges_and_links() {
    let out = extract_fixture(&Requirements, &format!("{HANDWRITTEN}/requirements.txt")).unwrap();
    let root = format!("{HANDWRITTEN}/requirements.txt");
    let base = format!("{HANDWRITTEN}/requirements/base.txt");
    let common = format!("{HANDWRITTEN}/requirements/common.txt");
    let constraints = format!("{HANDWRITTEN}/requirements/constraints.txt");
    let shared = "inventory/requirements/shared/requirements-common.txt";
    let located: Vec<String> =
        out.packages.iter().zip(summarize(&out.packages)).map(|(p, s)| format!("{}:{s}", p.location.path)).collect();
    assert_eq!(
        located,
        [
            format!("{common}:PyPI|MarkupSafe|2.1.3|pkg:pypi/markupsafe@2.1.3|3|"),
            format!("{common}:PyPI|blinker|1.7.0|pkg:pypi/blinker@1.7.0|4|"),
            format!("{base}:PyPI|click|8.1.7|pkg:pypi/click@8.1.7|3|"),
            format!("{base}:PyPI|itsdangerous|2.1.2|pkg:pypi/itsdangerous@2.1.2|4|"),
            format!("{base}:PyPI|Jinja2|3.1.2|pkg:pypi/jinja2@3.1.2|5|"),
            format!("{constraints}:PyPI|certifi|2023.7.22|pkg:pypi/certifi@2023.7.22|2|"),
            format!("{constraints}:PyPI|idna|3.4|pkg:pypi/idna@3.4|4|"),
            format!("{shared}:PyPI|structlog|23.2.0|pkg:pypi/structlog@23.2.0|2|"),
            format!("{shared}:PyPI|prometheus-client|0.19.0|pkg:pypi/prometheus-client@0.19.0|3|"),
            format!("{root}:PyPI|Flask|2.3.3|pkg:pypi/flask@2.3.3|16|"),
            format!("{root}:PyPI|Werkzeug|2.3.7|pkg:pypi/werkzeug@2.3.7|17|"),
            format!("{root}:PyPI|requests|2.31.0|pkg:pypi/requests@2.31.0|18|"),
            format!("{root}:PyPI|urllib3|1.26.18|pkg:pypi/urllib3@1.26.18|19|"),
            format!("{root}:PyPI|PyYAML|6.0.1|pkg:pypi/pyyaml@6.0.1|20|"),
            format!("{root}:PyPI|typing_extensions|4.8.0|pkg:pypi/typing-extensions@4.8.0|21|"),
            format!("{root}:PyPI|zope.interface|6.1|pkg:pypi/zope.interface@6.1|22|"),
            format!("{root}:PyPI|gunicorn|21.2.0|pkg:pypi/gunicorn@21.2.0|23|"),
            format!("{root}:PyPI|psycopg2-binary|2.9.9|pkg:pypi/psycopg2-binary@2.9.9|26|"),
            format!("{root}:PyPI|sentry-sdk|1.39.1|pkg:pypi/sentry-sdk@1.39.1|28|"),
        ]
    );
    assert_eq!(
        skipped(&out),
        [
            format!("{common}|2|-r base.txt|include cycle: {base} is already being read"),
            format!("{constraints}|3|cryptography>=41.0.5|not pinned to an exact version"),
            format!("{root}|31|celery>=5.3,<6|not pinned to an exact version"),
            format!("{root}|32|redis~=5.0|not pinned to an exact version"),
            format!("{root}|33|kombu!=5.3.0|not pinned to an exact version"),
            format!("{root}|34|boto3|not pinned to an exact version"),
            format!("{root}|35|numpy==1.26.*|not pinned to an exact version"),
            format!("{root}|36|pydantic==2.5.2,==2.5.3|pinned to several different exact versions"),
            format!("{root}|39|-e ./libs/billing-core|{EDITABLE}"),
            format!(
                "{root}|40|--editable=git+https://github.com/example/auth-client.git@v1.4.0#egg=auth-client|{EDITABLE}"
            ),
            format!("{root}|41|git+https://github.com/example/pdf-renderer.git@2f1c3a9#egg=pdf-renderer|{URL}"),
            format!("{root}|42|https://files.example.com/packages/internal_metrics-0.3.0-py3-none-any.whl|{URL}"),
            format!("{root}|43|./vendor/legacy_soap-1.2.0.tar.gz|{LOCAL_ARCHIVE}"),
            format!("{root}|44|vendor/legacy_soap|{LOCAL_PATH}"),
            format!("{root}|45|internal-tools @ https://files.example.com/internal-tools-2.0.0.tar.gz|{DIRECT_URL}"),
            format!("{root}|46|fancy-lib==${{FANCY_LIB_VERSION}}|{ENV_VAR}"),
            format!(
                "{root}|49|-r https://raw.githubusercontent.com/example/shared/main/requirements.txt|\
                 included file is a URL; remote files are not fetched"
            ),
            format!("{root}|50|-r requirements/missing.txt|included file not found"),
            format!(
                "{root}|51|-r ../../../../outside/requirements.txt|included file is outside the scan root; not read"
            ),
        ]
    );
}

#[test]
fn dev_file_reports_the_included_files_under_their_own_paths() {
    let root = extract_fixture(&Requirements, &format!("{HANDWRITTEN}/requirements.txt")).unwrap();
    let dev = extract_fixture(&Requirements, &format!("{HANDWRITTEN}/requirements-dev.txt")).unwrap();
    let (included, own) = dev.packages.split_at(root.packages.len());
    assert_eq!(included, root.packages.as_slice());
    assert_eq!(
        summarize(own),
        [
            "PyPI|pytest|7.4.3|pkg:pypi/pytest@7.4.3|2|",
            "PyPI|pytest-cov|4.1.0|pkg:pypi/pytest-cov@4.1.0|3|",
            "PyPI|black|23.11.0|pkg:pypi/black@23.11.0|4|",
        ]
    );
    assert!(own.iter().all(|p| p.location.path == format!("{HANDWRITTEN}/requirements-dev.txt") && !p.dev));
    let (included_skips, own_skips) = dev.skipped.split_at(root.skipped.len());
    assert_eq!(included_skips, root.skipped.as_slice());
    assert_eq!(
        skipped(&Extracted { skipped: own_skips.to_vec(), ..Extracted::default() }),
        [format!("{HANDWRITTEN}/requirements-dev.txt|5|mypy>=1.7|not pinned to an exact version")]
    );
}

#[test]
fn pin_spellings_pip_accepts() {
    let text = "\
Name_With.Dots==1.0
spaced == 2.0 ; python_version<'3.9'
tabbed\t==\t3.0
extras [a, b] == 4.0
parens (==5.0)
local==6.0+cpu
epoch==1!7.0
arbitrary===not-a-pep440-version
narrowed>=1.0,<2,==1.5
repeated==2.0,==2.0
";
    assert_eq!(
        packages_of(text),
        [
            "PyPI|Name_With.Dots|1.0|pkg:pypi/name-with.dots@1.0|1|",
            "PyPI|spaced|2.0|pkg:pypi/spaced@2.0|2|",
            "PyPI|tabbed|3.0|pkg:pypi/tabbed@3.0|3|",
            "PyPI|extras|4.0|pkg:pypi/extras@4.0|4|",
            "PyPI|parens|5.0|pkg:pypi/parens@5.0|5|",
            "PyPI|local|6.0+cpu|pkg:pypi/local@6.0%2Bcpu|6|",
            "PyPI|epoch|1!7.0|pkg:pypi/epoch@1%217.0|7|",
            "PyPI|arbitrary|not-a-pep440-version|pkg:pypi/arbitrary@not-a-pep440-version|8|",
            "PyPI|narrowed|1.5|pkg:pypi/narrowed@1.5|9|",
            "PyPI|repeated|2.0|pkg:pypi/repeated@2.0|10|",
        ]
    );
}

#[test]
fn lines_pip_would_reject_are_skipped_not_fatal() {
    let text = "-bad\nfoo==\nfoo==1.*.2\n[extra]==1.0\nfoo[unclosed==1.0\nfoo (==1.0\nfoo==1.0 2.0\nok==1.0\n";
    assert_eq!(
        skipped_of(text),
        [
            format!("requirements.txt|2|foo==|{INVALID}"),
            format!("requirements.txt|3|foo==1.*.2|{INVALID}"),
            format!("requirements.txt|4|[extra]==1.0|{INVALID}"),
            format!("requirements.txt|5|foo[unclosed==1.0|{INVALID}"),
            format!("requirements.txt|6|foo (==1.0|{INVALID}"),
            format!("requirements.txt|7|foo==1.0 2.0|{INVALID}"),
        ]
    );
    assert_eq!(packages_of(text), ["PyPI|ok|1.0|pkg:pypi/ok@1.0|8|"]);
}

#[test]
fn comments_follow_pip_rules() {
    let text = "\
# a full-line comment with pkg==1.0
  # an indented comment
a==1.0 # trailing
b==2.0\t# after a tab
c==3.0#not-a-comment
git+https://example.com/repo.git#egg=d
";
    assert_eq!(packages_of(text), ["PyPI|a|1.0|pkg:pypi/a@1.0|3|", "PyPI|b|2.0|pkg:pypi/b@2.0|4|"]);
    assert_eq!(
        skipped_of(text),
        [
            format!("requirements.txt|5|c==3.0#not-a-comment|{INVALID}"),
            format!("requirements.txt|6|git+https://example.com/repo.git#egg=d|{URL}"),
        ]
    );
}

#[test]
fn continuations_keep_the_first_line() {
    let text = "\
first==\\
1.0 \\
    --hash=sha256:abc
second==2.0 \\
# a comment line ends the continuation
third==3.0 \\
";
    assert_eq!(
        packages_of(text),
        [
            "PyPI|first|1.0|pkg:pypi/first@1.0|1|",
            "PyPI|second|2.0|pkg:pypi/second@2.0|4|",
            "PyPI|third|3.0|pkg:pypi/third@3.0|6|",
        ]
    );
}

#[test]
fn crlf_bom_and_blank_lines() {
    let text = "\u{feff}a==1.0\r\n\r\n  \r\nb==2.0 \\\r\n    --hash=sha256:abc\r\nc==3.0";
    assert_eq!(
        packages_of(text),
        ["PyPI|a|1.0|pkg:pypi/a@1.0|1|", "PyPI|b|2.0|pkg:pypi/b@2.0|4|", "PyPI|c|3.0|pkg:pypi/c@3.0|6|"]
    );
}

#[test]
fn option_spellings() {
    let text = "\
-i https://pypi.org/simple --extra-index-url https://x.example/simple
--only-binary=:all: --prefer-binary --require-hashes --use-feature truststore
-e.
--editable ./pkg[extra]
-r
--no-index
a==1.0 --hash=sha256:abc --config-settings=x=y
";
    assert_eq!(packages_of(text), ["PyPI|a|1.0|pkg:pypi/a@1.0|7|"]);
    assert_eq!(
        skipped_of(text),
        [
            format!("requirements.txt|3|-e.|{EDITABLE}"),
            format!("requirements.txt|4|--editable ./pkg[extra]|{EDITABLE}"),
            "requirements.txt|5|-r|option without a value".to_string(),
        ]
    );
}

#[test]
fn include_spellings_and_resolution() {
    let files = MemoryFiles::new(&[
        ("app/requirements.txt", "-rbase.txt\n--requirement 'lib/my reqs.txt'\n-r ..\\win.txt\n-c ./c.txt\n"),
        ("app/base.txt", "a==1.0\n"),
        ("app/lib/my reqs.txt", "b==2.0\n-r ../base.txt\n"),
        ("win.txt", "c==3.0\n"),
        ("app/c.txt", "d==4.0\n"),
    ]);
    let out = files.extract("app/requirements.txt").unwrap();
    let located: Vec<String> =
        out.packages.iter().map(|p| format!("{}:{}:{}", p.location.path, p.location.line.unwrap(), p.name)).collect();
    assert_eq!(located, ["app/base.txt:1:a", "app/lib/my reqs.txt:1:b", "win.txt:1:c", "app/c.txt:1:d"]);
    // base.txt, reached twice, is read once and not reported as a cycle.
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
}

#[test]
fn includes_that_are_not_read() {
    let files = MemoryFiles::new(&[(
        "requirements.txt",
        "-r requirements.txt\n-r /etc/requirements.txt\n-c C:\\reqs.txt\n-r ${REQS_DIR}/base.txt\n-r ../up.txt\n\
         -c file:///srv/constraints.txt\n",
    )]);
    let out = files.extract("requirements.txt").unwrap();
    assert!(out.packages.is_empty());
    assert_eq!(
        skipped(&out),
        [
            "requirements.txt|1|-r requirements.txt|include cycle: requirements.txt is already being read",
            "requirements.txt|2|-r /etc/requirements.txt|\
             included file has an absolute path; only the scanned tree is read",
            "requirements.txt|3|-c C:\\reqs.txt|constraints file has an absolute path; only the scanned tree is read",
            "requirements.txt|4|-r ${REQS_DIR}/base.txt|\
             included file path uses an environment variable customs does not expand; not read",
            "requirements.txt|5|-r ../up.txt|included file is outside the scan root; not read",
            "requirements.txt|6|-c file:///srv/constraints.txt|constraints file is a URL; remote files are not fetched",
        ]
    );
}

#[test]
fn lone_buffer_cannot_read_includes() {
    let out = extract_str(&Requirements, "requirements.txt", "-r base.txt\na==1.0\n").unwrap();
    assert_eq!(summarize(&out.packages), ["PyPI|a|1.0|pkg:pypi/a@1.0|2|"]);
    assert_eq!(skipped(&out), ["requirements.txt|1|-r base.txt|included file not found"]);
}

#[test]
fn include_chains_stop_at_the_depth_limit() {
    let names: Vec<String> = (0..MAX_INCLUDE_DEPTH + 5).map(|i| format!("r{i}.txt")).collect();
    let texts: Vec<String> = (0..names.len())
        .map(|i| match names.get(i + 1) {
            Some(next) => format!("p{i}==1.0\n-r {next}\n"),
            None => format!("p{i}==1.0\n"),
        })
        .collect();
    let files: Vec<(&str, &str)> = names.iter().map(String::as_str).zip(texts.iter().map(String::as_str)).collect();
    let out = MemoryFiles::new(&files).extract("r0.txt").unwrap();
    assert_eq!(out.packages.len(), MAX_INCLUDE_DEPTH);
    assert_eq!(
        skipped(&out),
        [format!(
            "r{}.txt|2|-r r{}.txt|includes nested deeper than {MAX_INCLUDE_DEPTH} files; not read",
            MAX_INCLUDE_DEPTH - 1,
            MAX_INCLUDE_DEPTH
        )]
    );
}

/// Every path is the same file, as when the tree has directories `a -> .` and
/// `b -> .`: `a/requirements.txt`, `b/a/requirements.txt`… are all distinct paths.
/// Counts reads, and stops answering after 10,000 so an uncapped reader ends too.
struct SymlinkLoop(&'static str, std::sync::atomic::AtomicUsize);

impl FileSource for SymlinkLoop {
    fn read(&self, _path: &Path) -> io::Result<Vec<u8>> {
        if self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 10_000 {
            return Err(io::ErrorKind::NotFound.into());
        }
        Ok(self.0.as_bytes().to_vec())
    }
}

/// Found by the `lock_requirements` fuzz target: two includes per level through
/// symlinked directories name 2^31 distinct paths within the depth limit; the total
/// of included files is capped.
#[test]
fn included_files_are_capped_in_total() {
    let text = "p==1.0\n-r a/requirements.txt\n-r b/requirements.txt\n";
    let files = SymlinkLoop(text, 0.into());
    let out = Requirements
        .extract(&Input { path: Path::new("requirements.txt"), content: text.as_bytes(), files: &files })
        .unwrap();
    assert_eq!(files.1.into_inner(), MAX_INCLUDED_FILES);
    assert_eq!(out.packages.len(), MAX_INCLUDED_FILES + 1);
    let capped: Vec<&str> =
        out.skipped.iter().map(|s| s.reason.as_str()).filter(|r| r.starts_with("more than")).collect();
    assert!(!capped.is_empty());
    assert!(capped.iter().all(|r| *r == format!("more than {MAX_INCLUDED_FILES} files included in all; not read")));
}

#[test]
fn via_annotations_need_to_follow_their_requirement() {
    let text = "\
a==1.0
    # via -c constraints.txt
b==2.0

    # via x
c==3.0
# some note
    # via -r requirements.in
d==4.0
    # via
    #   e
    #   -r requirements.in
f>=1
    # via -r requirements.in
g==1.0  # via -r requirements.in, h
";
    assert_eq!(
        packages_of(text),
        [
            "PyPI|a|1.0|pkg:pypi/a@1.0|1|",
            "PyPI|b|2.0|pkg:pypi/b@2.0|3|",
            "PyPI|c|3.0|pkg:pypi/c@3.0|6|",
            "PyPI|d|4.0|pkg:pypi/d@4.0|9|direct",
            "PyPI|g|1.0|pkg:pypi/g@1.0|15|direct",
        ]
    );
}

#[test]
fn malformed_files() {
    let err = Requirements.extract(&Input::new(Path::new("requirements.txt"), b"a==1.0\nb==\xff\n")).unwrap_err();
    assert_eq!((err.path.as_str(), err.line), ("requirements.txt", Some(2)));
    assert_eq!(err.message, "not valid UTF-8 text");

    let err = extract_str(&Requirements, "requirements.txt", "a==1.0\n\n\u{0}\u{1}ELF\u{2}").unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("binary"), "{}", err.message);

    // A truncated last line is whatever is left of it.
    assert_eq!(skipped_of("a==1.0\nrequests=="), [format!("requirements.txt|2|requests==|{INVALID}")]);
    assert_eq!(skipped_of("a==1.0\nrequests"), ["requirements.txt|2|requests|not pinned to an exact version"]);
}

#[test]
fn errors_in_included_files_name_that_file() {
    let files =
        MemoryFiles::new(&[("requirements.txt", "a==1.0\n-r sub/base.txt\n"), ("sub/base.txt", "b==1\n\u{7f}")]);
    let err = files.extract("requirements.txt").unwrap_err();
    assert_eq!((err.path.as_str(), err.line), ("sub/base.txt", Some(2)));
}

#[test]
fn empty_and_comment_only_files_have_no_packages() {
    for text in ["", "\n\n", "# nothing pinned yet\n", "   \n\t\n", "\\"] {
        assert_eq!(extract_str(&Requirements, "requirements.txt", text).unwrap(), Extracted::default(), "{text:?}");
    }
}

#[test]
fn big_files_stay_linear() {
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!("package-{i}==1.{i} \\\n    --hash=sha256:{i:064}\n    # via -r requirements.in\n"));
    }
    let out = extract_str(&Requirements, "requirements.txt", &text).unwrap();
    assert_eq!(out.packages.len(), 100_000);
    let last = out.packages.last().unwrap();
    assert_eq!((last.location.line, last.relationship), (Some(299_998), Relationship::Direct));
}
