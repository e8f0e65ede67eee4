//! The example app's demo page (`GET /`) in a real browser: headless Chromium driven over
//! WebDriver (chromedriver) through the cookie flow, and forms posted from another site
//! that must not succeed.
//!
//! Needs `chromium` and `chromedriver` (`$CHROME_BIN` and `$CHROMEDRIVER`, or on `PATH`);
//! without them the test is skipped with a note, except under CI (`$CI` set), where that is
//! an error. `$DEMO_SCREENSHOT`, when set, is a file to save a PNG of the page to.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

#[path = "common/example_process.rs"]
mod example_process;

fn find_binary(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(path.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A chromedriver on a free loopback port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_driver(bin: &PathBuf) -> Driver {
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    driver
}

/// Another site: serves, at any path, a page whose form posts itself to `target` at once.
fn start_other_site() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" => break,
                    Ok(_) => {}
                }
            }
            // GET /?target=<url-encoded URL>
            let target = request_line
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.split_once('?'))
                .and_then(|(_, query)| {
                    form_urlencoded::parse(query.as_bytes())
                        .find(|(k, _)| k == "target")
                        .map(|(_, v)| v.into_owned())
                })
                .unwrap_or_default();
            let page = format!(
                "<!doctype html><html><body><form id=\"f\" method=\"POST\" action=\"{target}\">\
                 <input type=\"hidden\" name=\"csrf_token\" value=\"guess\"></form>\
                 <script>document.getElementById('f').submit()</script></body></html>"
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.flush();
            let mut rest = [0u8; 64];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
            let _ = stream.read(&mut rest);
        }
    });
    (addr, handle)
}

/// Clicks `button` on the demo page and returns the answer it shows: (status, JSON body).
async fn click(browser: &Client, button: &str) -> (u16, Value) {
    let before = browser
        .find_all(Locator::Css("#log li"))
        .await
        .unwrap()
        .len();
    browser
        .find(Locator::Id(button))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let item = browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(&format!("#log li:nth-child({})", before + 1)))
        .await
        .unwrap_or_else(|e| panic!("no answer shown after clicking #{button}: {e}"));
    let status = item
        .attr("data-status")
        .await
        .unwrap()
        .and_then(|s| s.parse().ok())
        .unwrap();
    let body = item
        .find(Locator::Css("pre"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

async fn cookie(browser: &Client, name: &str) -> Option<String> {
    browser
        .get_named_cookie(name)
        .await
        .ok()
        .map(|c| c.value().to_owned())
}

/// The text of the page the browser shows (for a JSON answer: the JSON).
async fn page_json(browser: &Client) -> Value {
    let text = browser
        .execute(
            "return document.body ? document.body.innerText : ''",
            vec![],
        )
        .await
        .unwrap();
    let text = text.as_str().unwrap_or_default().to_owned();
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// Posts a form from the other site to `origin` + `path`, waits until the browser shows
/// the answer, and returns it.
async fn cross_site_post(browser: &Client, other_site: &str, origin: &str, path: &str) -> Value {
    let target: String =
        form_urlencoded::byte_serialize(format!("{origin}{path}").as_bytes()).collect();
    browser
        .goto(&format!("http://{other_site}/?target={target}"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let current = browser.current_url().await.unwrap();
        if current.as_str().starts_with(origin) && current.path() == path {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the form never posted (at {current})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    page_json(browser).await
}

#[tokio::test]
async fn demo_page_runs_the_cookie_flow_in_chromium() {
    let ci = std::env::var_os("CI").is_some();
    let (Some(chromium), Some(chromedriver)) = (
        find_binary(
            "CHROME_BIN",
            &["chromium", "chromium-browser", "google-chrome"],
        ),
        find_binary("CHROMEDRIVER", &["chromedriver"]),
    ) else {
        assert!(!ci, "chromium and chromedriver are needed under CI");
        eprintln!("note: chromium or chromedriver not found; browser test skipped");
        return;
    };
    let app = example_process::start(
        "axum_app",
        &[
            (
                "JWT_SECRET_KEY",
                "example-test-secret-0123456789-abcdefghij",
            ),
            ("JWT_TOKEN_LOCATION", "headers,cookies"),
        ],
    );
    let port = app.addr.rsplit(':').next().unwrap().to_owned();
    // `localhost` and `127.0.0.1` are different sites to the browser.
    let origin = format!("http://localhost:{port}");
    let (other_site, _other) = start_other_site();

    let driver = start_driver(&chromedriver);
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=900,1100", "--no-first-run",
                     "--no-default-browser-check"],
        }),
    );
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session");

    let addr = app.addr.clone();
    let session = browser.clone();
    let run = tokio::spawn(async move {
        let browser = session;
        browser.goto(&format!("{origin}/")).await.unwrap();
        assert_eq!(
            browser.title().await.unwrap(),
            "jwt-extended: the cookie flow"
        );

        assert_eq!(
            click(&browser, "login").await,
            (200, json!({"msg": "login ok"}))
        );
        // The token cookie is HttpOnly; the CSRF cookie is readable by the page.
        let access = cookie(&browser, "access_token_cookie")
            .await
            .expect("access cookie");
        let readable = browser
            .execute("return document.cookie", vec![])
            .await
            .unwrap();
        let readable = readable.as_str().unwrap();
        assert!(readable.contains("csrf_access_token="), "{readable}");
        assert!(!readable.contains("access_token_cookie"), "{readable}");

        assert_eq!(
            click(&browser, "protected").await,
            (200, json!({"logged_in_as": "1"}))
        );
        assert_eq!(
            click(&browser, "fresh-no-csrf").await,
            (401, json!({"msg": "Missing CSRF token"}))
        );
        assert_eq!(
            click(&browser, "fresh").await,
            (200, json!({"msg": "fresh ok"}))
        );

        // Forms posted from another site: neither goes through, and the session stays.
        let answer = cross_site_post(&browser, &other_site, &origin, "/api/fresh").await;
        eprintln!("cross-site form POST /api/fresh: {answer}");
        assert_ne!(answer, json!({"msg": "fresh ok"}));
        assert!(answer["msg"].is_string(), "{answer}");
        let answer = cross_site_post(&browser, &other_site, &origin, "/api/logout/cookies").await;
        eprintln!("cross-site form POST /api/logout/cookies: {answer}");
        assert_ne!(answer, json!({"msg": "logout ok"}));
        browser.goto(&format!("{origin}/")).await.unwrap();
        assert_eq!(
            cookie(&browser, "access_token_cookie").await.as_deref(),
            Some(access.as_str()),
            "the cross-site posts left the cookies alone"
        );
        assert_eq!(
            click(&browser, "protected").await,
            (200, json!({"logged_in_as": "1"}))
        );

        // Refresh: new cookies (token and CSRF value), a token that is no longer fresh.
        let (status, body) = click(&browser, "refresh").await;
        assert_eq!(status, 200, "{body}");
        let refreshed = cookie(&browser, "access_token_cookie").await.unwrap();
        assert_ne!(refreshed, access);
        assert_eq!(
            click(&browser, "fresh").await,
            (401, json!({"msg": "Fresh token required"}))
        );
        assert_eq!(
            click(&browser, "protected").await,
            (200, json!({"logged_in_as": "1"}))
        );

        if let Some(path) = std::env::var_os("DEMO_SCREENSHOT") {
            std::fs::write(path, browser.screenshot().await.unwrap()).unwrap();
        }

        // Logout: cookies gone, and the token they held revoked.
        assert_eq!(
            click(&browser, "logout").await,
            (200, json!({"msg": "logout ok"}))
        );
        assert_eq!(cookie(&browser, "access_token_cookie").await, None);
        let (status, _) = click(&browser, "protected").await;
        assert_eq!(status, 401);
        let copied = reqwest::Client::new()
            .get(format!("http://{addr}/api/protected"))
            .header("Cookie", format!("access_token_cookie={refreshed}"))
            .send()
            .await
            .unwrap();
        assert_eq!(copied.status(), 401);
    })
    .await;
    // Close the session whatever happened, then report.
    let _ = browser.close().await;
    drop(driver);
    if let Err(e) = run {
        std::panic::resume_unwind(e.into_panic());
    }
}
