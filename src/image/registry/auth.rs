//! The registry auth protocol's pure parts: reading `WWW-Authenticate` challenges,
//! forming token requests, reading token responses, and remembering tokens per scope
//! until they expire. The HTTP side is in `client.rs`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::HeaderValue;
use reqwest::Url;

use super::credentials::{Credentials, Secret};

/// Tokens are used until this long before they expire (a request in flight must not
/// arrive with a dead token).
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);
/// The distribution spec: a token without `expires_in` lives 60 s, and no token is
/// issued for less. Longer lifetimes are capped so a hostile value cannot overflow.
const DEFAULT_LIFETIME: u64 = 60;
const MAX_LIFETIME: u64 = 24 * 3600;

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic { realm: Option<String> },
    Bearer { realm: String, service: Option<String>, scope: Option<String> },
    Other(String),
}

/// Parses `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`
/// and friends: one or more challenges, each a scheme and `key=value` or
/// `key="quoted \"value\""` parameters. What cannot be parsed is skipped.
pub(crate) fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut challenges = Vec::new();
    let mut current: Option<(String, Vec<(String, String)>)> = None;
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        let end = rest.find(|c: char| c == ',' || c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let token = &rest[..end];
        rest = rest[end..].trim_start();
        if let Some(after) = rest.strip_prefix('=') {
            let (value, remaining) = parse_value(after.trim_start());
            rest = remaining;
            if let Some((_, params)) = current.as_mut() {
                params.push((token.to_ascii_lowercase(), value));
            }
        } else if token.is_empty() {
            // A stray character (a token68 remnant): skip it.
            rest = &rest[rest.chars().next().map_or(0, char::len_utf8)..];
        } else {
            challenges.extend(current.take().map(to_challenge));
            current = Some((token.to_string(), Vec::new()));
        }
    }
    challenges.extend(current.map(to_challenge));
    challenges
}

/// A quoted string (with `\` escapes) or a bare token; returns it and what follows.
fn parse_value(s: &str) -> (String, &str) {
    if let Some(quoted) = s.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => value.extend(chars.next().map(|(_, c)| c)),
                '"' => return (value, &quoted[i + 1..]),
                c => value.push(c),
            }
        }
        (value, "")
    } else {
        let end = s.find(|c: char| c == ',' || c.is_whitespace()).unwrap_or(s.len());
        (s[..end].to_string(), &s[end..])
    }
}

fn to_challenge((scheme, params): (String, Vec<(String, String)>)) -> Challenge {
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Challenge::Basic { realm: param("realm") },
        "bearer" => match param("realm") {
            Some(realm) => Challenge::Bearer { realm, service: param("service"), scope: param("scope") },
            None => Challenge::Other(scheme),
        },
        _ => Challenge::Other(scheme),
    }
}

/// The access a token is asked for to pull one repository: all customs ever does
/// with a repository.
pub(crate) fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// The access listing the registry's repositories (`/v2/_catalog`) needs.
pub(crate) const CATALOG_SCOPE: &str = "registry:catalog:*";

/// `realm?service=…&scope=…`, keeping any query the realm already has.
pub(crate) fn token_url(realm: &Url, service: Option<&str>, scope: &str) -> Url {
    let mut url = realm.clone();
    {
        let mut query = url.query_pairs_mut();
        if let Some(service) = service {
            query.append_pair("service", service);
        }
        query.append_pair("scope", scope);
    }
    url
}

/// The OAuth2 form that trades an identity token (what `docker login` stores for
/// some registries) for an access token.
pub(crate) fn refresh_form(service: Option<&str>, scope: &str, refresh_token: &str) -> String {
    let mut form = Url::parse("http://form.invalid/").expect("static URL");
    {
        let mut pairs = form.query_pairs_mut();
        pairs.append_pair("grant_type", "refresh_token");
        if let Some(service) = service {
            pairs.append_pair("service", service);
        }
        pairs.append_pair("scope", scope);
        pairs.append_pair("client_id", "customs");
        pairs.append_pair("refresh_token", refresh_token);
    }
    form.query().unwrap_or_default().to_string()
}

/// `Basic base64(user:password)`, marked sensitive so it is never logged.
pub(crate) fn basic_header(credentials: &Credentials) -> Option<HeaderValue> {
    let Secret::Password(password) = &credentials.secret else { return None };
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{}:{password}", credentials.username));
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// A bearer token and when to stop using it.
#[derive(Clone)]
pub(crate) struct Token {
    value: String,
    use_until: Instant,
}

impl Token {
    /// A token from Docker's config (`registrytoken`): its lifetime is unknown, so it
    /// is used until the registry refuses it.
    pub(crate) fn long_lived(value: String) -> Token {
        Token { value, use_until: Instant::now() + Duration::from_secs(MAX_LIFETIME) }
    }

    fn header(&self) -> Option<HeaderValue> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.value)).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

/// Reads a token server's answer: `{"token": "…", "expires_in": 300}` (or
/// `access_token`, the OAuth2 spelling).
pub(crate) fn parse_token(body: &[u8], received: Instant) -> Result<Token, String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        token: Option<String>,
        access_token: Option<String>,
        expires_in: Option<u64>,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| format!("an unreadable token ({e})"))?;
    let value = answer.token.filter(|t| !t.is_empty()).or(answer.access_token).unwrap_or_default();
    if value.is_empty() {
        return Err("no token".to_string());
    }
    if HeaderValue::from_str(&format!("Bearer {value}")).is_err() {
        return Err("a token that cannot be sent in a header".to_string());
    }
    let lifetime = answer.expires_in.unwrap_or(DEFAULT_LIFETIME).clamp(DEFAULT_LIFETIME, MAX_LIFETIME);
    Ok(Token { value, use_until: received + Duration::from_secs(lifetime) - EXPIRY_MARGIN })
}

/// How the registry wants to be spoken to, learned from its first challenge.
#[derive(Default)]
pub(crate) struct AuthState {
    scheme: Scheme,
    /// Tokens by (realm, service, scope).
    tokens: HashMap<(String, String, String), Token>,
}

#[derive(Default)]
enum Scheme {
    #[default]
    Anonymous,
    Basic,
    Bearer {
        realm: String,
        service: String,
    },
}

impl AuthState {
    /// The `Authorization` for a request needing `scope`, if one is known and current.
    /// An expired token gives none: the registry's 401 then brings a new one.
    pub(crate) fn header(&self, scope: &str, credentials: Option<&Credentials>) -> Option<HeaderValue> {
        self.header_at(scope, credentials, Instant::now())
    }

    fn header_at(&self, scope: &str, credentials: Option<&Credentials>, now: Instant) -> Option<HeaderValue> {
        match &self.scheme {
            Scheme::Anonymous => None,
            Scheme::Basic => credentials.and_then(basic_header),
            Scheme::Bearer { realm, service } => self
                .tokens
                .get(&(realm.clone(), service.clone(), scope.to_string()))
                .filter(|token| now < token.use_until)
                .and_then(Token::header),
        }
    }

    pub(crate) fn uses_bearer(&self) -> bool {
        matches!(self.scheme, Scheme::Bearer { .. })
    }

    pub(crate) fn use_basic(&mut self) {
        self.scheme = Scheme::Basic;
    }

    pub(crate) fn use_bearer(&mut self, realm: &Url, service: Option<&str>, scope: &str, token: Token) {
        let (realm, service) = (realm.to_string(), service.unwrap_or_default().to_string());
        self.tokens.insert((realm.clone(), service.clone(), scope.to_string()), token);
        self.scheme = Scheme::Bearer { realm, service };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(realm: &str, service: Option<&str>, scope: Option<&str>) -> Challenge {
        Challenge::Bearer { realm: realm.into(), service: service.map(Into::into), scope: scope.map(Into::into) }
    }

    #[test]
    fn parses_docker_hub_bearer_challenge() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull""#;
        assert_eq!(
            parse_challenges(header),
            vec![bearer(
                "https://auth.docker.io/token",
                Some("registry.docker.io"),
                Some("repository:library/debian:pull")
            )]
        );
    }

    #[test]
    fn parses_basic_unquoted_escaped_and_several_challenges() {
        assert_eq!(
            parse_challenges(r#"Basic realm="Registry Realm""#),
            vec![Challenge::Basic { realm: Some("Registry Realm".into()) }]
        );
        assert_eq!(parse_challenges("basic"), vec![Challenge::Basic { realm: None }]);
        assert_eq!(
            parse_challenges(r#"Bearer realm=https://a.example/t , service="s\"q", error="invalid_token""#),
            vec![bearer("https://a.example/t", Some("s\"q"), None)]
        );
        assert_eq!(
            parse_challenges(r#"Negotiate abc==, Basic realm="x", Bearer realm="https://t.example/""#),
            vec![
                Challenge::Other("Negotiate".into()),
                Challenge::Basic { realm: Some("x".into()) },
                bearer("https://t.example/", None, None)
            ]
        );
        // A Bearer challenge without a realm cannot be answered.
        assert_eq!(parse_challenges(r#"Bearer service="x""#), vec![Challenge::Other("Bearer".into())]);
        assert_eq!(parse_challenges(""), vec![]);
        assert_eq!(parse_challenges(r#"Bearer realm="unterminated"#), vec![bearer("unterminated", None, None)]);
    }

    #[test]
    fn token_requests_keep_the_realm_query_and_encode_parameters() {
        let realm = Url::parse("https://auth.example/token?account=x").unwrap();
        assert_eq!(
            token_url(&realm, Some("reg istry"), "repository:a/b:pull").as_str(),
            "https://auth.example/token?account=x&service=reg+istry&scope=repository%3Aa%2Fb%3Apull"
        );
        assert_eq!(
            refresh_form(Some("svc"), "repository:a/b:pull", "tok&en="),
            "grant_type=refresh_token&service=svc&scope=repository%3Aa%2Fb%3Apull&client_id=customs&refresh_token=tok%26en%3D"
        );
    }

    #[test]
    fn scopes_name_the_repository_or_the_catalog() {
        assert_eq!(pull_scope("library/debian"), "repository:library/debian:pull");
        let realm = Url::parse("https://auth.example/token").unwrap();
        assert_eq!(
            token_url(&realm, Some("svc"), CATALOG_SCOPE).as_str(),
            "https://auth.example/token?service=svc&scope=registry%3Acatalog%3A*"
        );
    }

    #[test]
    fn token_answers_are_read_with_a_bounded_lifetime() {
        let now = Instant::now();
        let t = parse_token(br#"{"token":"abc","expires_in":300}"#, now).unwrap();
        assert_eq!(t.value, "abc");
        assert_eq!(t.use_until, now + Duration::from_secs(290));
        let t = parse_token(br#"{"access_token":"xyz"}"#, now).unwrap();
        assert_eq!((t.value.as_str(), t.use_until), ("xyz", now + Duration::from_secs(50)));
        let t = parse_token(br#"{"token":"a","expires_in":1}"#, now).unwrap();
        assert_eq!(t.use_until, now + Duration::from_secs(50));
        let t = parse_token(br#"{"token":"a","expires_in":18446744073709551615}"#, now).unwrap();
        assert_eq!(t.use_until, now + Duration::from_secs(MAX_LIFETIME) - EXPIRY_MARGIN);
        assert_eq!(parse_token(br#"{"token":""}"#, now).err().unwrap(), "no token");
        assert_eq!(
            parse_token(b"{\"token\":\"a\\nb\"}", now).err().unwrap(),
            "a token that cannot be sent in a header"
        );
        assert!(parse_token(b"<html>", now).err().unwrap().starts_with("an unreadable token"));
    }

    #[test]
    fn tokens_are_cached_per_scope_until_they_expire() {
        let now = Instant::now();
        let realm = Url::parse("https://auth.example/token").unwrap();
        let mut state = AuthState::default();
        assert!(state.header_at("repository:a:pull", None, now).is_none());
        let token = parse_token(br#"{"token":"abc","expires_in":100}"#, now).unwrap();
        state.use_bearer(&realm, Some("svc"), "repository:a:pull", token);
        let header = state.header_at("repository:a:pull", None, now).unwrap();
        assert_eq!(header.to_str().unwrap(), "Bearer abc");
        assert!(header.is_sensitive());
        assert!(state.header_at("repository:b:pull", None, now).is_none());
        assert!(state.header_at("repository:a:pull", None, now + Duration::from_secs(89)).is_some());
        assert!(state.header_at("repository:a:pull", None, now + Duration::from_secs(90)).is_none());
    }

    #[test]
    fn basic_scheme_sends_the_password_only() {
        let mut state = AuthState::default();
        state.use_basic();
        let password =
            Credentials { username: "user".into(), secret: Secret::Password("pa:ss".into()), source: "test".into() };
        let header = state.header("s", Some(&password)).unwrap();
        assert_eq!(header.to_str().unwrap(), "Basic dXNlcjpwYTpzcw==");
        let token = Credentials { secret: Secret::IdentityToken("t".into()), ..password };
        assert!(state.header("s", Some(&token)).is_none());
        assert!(state.header("s", None).is_none());
    }
}
