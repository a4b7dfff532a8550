//! `reunify serve`: a local what-if page. One HTML page and a small JSON API, served by
//! hyper on tokio on loopback, answer "and if the provider charged £4,000?" by re-simulating the
//! scenario with the values changed, under the same seed, so what moves is the decision and
//! not the noise (common random numbers).
//!
//! - `GET /` the page (inline CSS and JavaScript, no external resources);
//! - `GET /api/scenario` the scenario: its parameters with labels, units, ranges and defaults;
//! - `POST /api/whatif` `{"overrides": {key: value}, "iterations": K, "client": "…", "seq": n}`
//!   the headline figures per strategy (the verdict's), break-even, and the decision chart's
//!   SVG. `K = 0` is the base case alone, found in a few milliseconds; the page then asks for
//!   PSA iterations to refine the intervals;
//! - `POST /api/scenario.toml` the edited scenario as TOML: the file's own text with the values
//!   set in a `[what_if]` table, which `reunify run` applies by the same code, so the run gives
//!   the page's figures.
//!
//! Work is bounded: bodies over 64 KiB are refused, iterations are at most 1,000, the work of
//! one request is bounded by `run`'s rule, and no request names a path the server reads or
//! writes. A simulation stops between batches of children (so a large base case stops too)
//! when a newer request of the same client replaces it or when its client has gone (the
//! connection closed, which drops the request's future). At most [`WORKERS`] simulations run at
//! once, on a bounded pool of threads; at most [`MAX_CONNECTIONS`] connections are open, and one
//! that has not sent a request's headers within [`HEADER_TIMEOUT`] (idle or slow) is closed.
//! Override errors are the messages validation gives, with HTTP 400.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::analyses::{Analyses, Scope, Settings};
use crate::digest::{IterationDigest, RunDigest};
use crate::results::{RunResults, verdict};
use crate::scenario::Scenario;
use crate::sim::{self, RunOptions};

/// The largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;
/// The longest client id a page may send (the page's own are 36-character UUIDs).
pub const MAX_CLIENT_ID: usize = 64;
/// The most clients whose latest request is remembered; beyond it, the idle ones are
/// forgotten, so memory does not grow with the number of distinct ids sent.
pub const MAX_CLIENTS: usize = 256;
/// Simulations computed at once, each on a thread of a bounded pool; more wait their turn.
pub const WORKERS: usize = 8;
/// Connections open at once; a connection beyond them is closed as soon as it is accepted.
pub const MAX_CONNECTIONS: usize = 64;
/// A connection that has not sent a whole request's headers within this, whether it has just
/// opened or is idle between requests, is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// The most PSA iterations one request may ask for.
pub const MAX_ITERATIONS: u32 = 1000;
/// The most work one what-if request may ask for, in child-paths (children × runs ×
/// strategies): about ten seconds on two cores. Beyond it the page is told to use `reunify run`.
pub const MAX_WHAT_IF_CHILD_PATHS: f64 = 2e8;
/// How long a client may take to send a request's body once its headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one connection may stay open (then it is closed once its request in flight, if
/// any, is answered): a client that sends slowly or never reads its answer holds a slot
/// for at most this long.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
/// How long a request in flight may take to finish after its connection's lifetime ends.
pub const CONNECTION_GRACE: Duration = Duration::from_secs(30);

const PAGE: &str = include_str!("serve.html");

/// What the server holds: the scenario as loaded, its text, and each client's latest request.
pub struct State {
    pub sc: Scenario,
    pub text: String,
    pub file: String,
    latest: Mutex<BTreeMap<String, u64>>,
    /// The last small simulation's raw results, for re-pricing ([`Simulated`]).
    simulated: Mutex<Option<Arc<Simulated>>>,
    /// One lock per named client: its simulations run one at a time.
    running: Mutex<BTreeMap<String, Arc<Mutex<()>>>>,
    /// The `Host` values this server answers to, set once it is bound ([`allowed_hosts`]).
    hosts: std::sync::OnceLock<Vec<String>>,
}

impl State {
    pub fn new(sc: Scenario, text: String, file: String) -> State {
        State {
            sc,
            text,
            file,
            latest: Mutex::new(BTreeMap::new()),
            simulated: Mutex::new(None),
            running: Mutex::new(BTreeMap::new()),
            hosts: std::sync::OnceLock::new(),
        }
    }
}

/// The raw results of the last simulation the page asked for, when small enough to keep
/// ([`MAX_KEPT_TALLIES`]): a request that changes only prices from it (a support price, a cost
/// line's amount) changes no child's path, so it is answered by re-pricing these results
/// ([`sim::IterationResult::repriced`]) instead of simulating again.
pub struct Simulated {
    /// What the paths depend on: every override that is not a price, and the iterations.
    paths: (BTreeMap<String, f64>, u32),
    results: Vec<sim::IterationResult>,
}

/// The most tallies (iterations × strategies × authorities) kept for re-pricing: the default
/// scenario at the page's 200 iterations keeps 603.
pub const MAX_KEPT_TALLIES: usize = 2_000;

/// A what-if request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIf {
    #[serde(default)]
    pub overrides: BTreeMap<String, f64>,
    #[serde(default)]
    pub iterations: u32,
    /// Who asks: a newer request of the same client stops this one.
    #[serde(default)]
    pub client: String,
    /// The client's sequence number, returned as given, so the page drops out-of-date answers.
    #[serde(default)]
    pub seq: u64,
}

/// One strategy's headline figures.
#[derive(Debug, Serialize)]
pub struct Headline {
    pub strategy: String,
    /// The strategy in words, as the page shows it.
    pub label: String,
    pub rank: usize,
    pub is_comparator: bool,
    pub net_saving: Option<f64>,
    pub net_saving_interval: Option<(f64, f64)>,
    pub breakdowns_averted: Option<f64>,
    pub breakdowns_averted_interval: Option<(f64, f64)>,
    pub probability_saves: Option<f64>,
    pub payback: Option<String>,
    pub breakeven_effect: Option<f64>,
    pub breakeven_hazard_ratio: Option<f64>,
    pub breakeven_price: Option<f64>,
    pub verdict: String,
}

/// The answer to a what-if request.
#[derive(Debug, Serialize)]
pub struct Answer {
    pub seq: u64,
    pub iterations: usize,
    /// The figures are the PSA mean (or the base case when `iterations` is 0).
    pub headline: String,
    pub strategies: Vec<Headline>,
    /// The decision chart: each strategy's net saving with its interval.
    pub svg: String,
    pub server_ms: f64,
    /// Whether the answer re-priced the last simulation (only prices changed) rather than
    /// simulating.
    pub repriced: bool,
}

/// Why a request failed: bad input (400), superseded by a newer request (409), or a failure.
#[derive(Debug)]
pub enum Refused {
    Bad(String),
    Superseded,
    Failed(String),
}

impl From<crate::model::ModelError> for Refused {
    /// The model cannot be built with these values (a calibration target out of reach, say):
    /// the values are at fault. A simulation that was stopped was superseded.
    fn from(e: crate::model::ModelError) -> Refused {
        match e {
            crate::model::ModelError::Stopped => Refused::Superseded,
            e => Refused::Bad(e.to_string()),
        }
    }
}

/// Answers a what-if request. `cancelled` is asked between batches of children.
pub fn what_if(state: &State, req: &WhatIf, cancelled: &(dyn Fn() -> bool + Sync)) -> Result<Answer, Refused> {
    let start = std::time::Instant::now();
    if req.iterations > MAX_ITERATIONS {
        return Err(Refused::Bad(format!("iterations: {} is more than {MAX_ITERATIONS}", req.iterations)));
    }
    let sc = state.sc.with_overrides(&req.overrides, "what-if", "").map_err(|e| Refused::Bad(e.to_string()))?;
    // One request's work is bounded, so that one extra zero in a cohort gets a plain answer at
    // once instead of minutes with nothing on screen.
    let paths = super::settings::child_paths(&sc, req.iterations as u64 + 1);
    if paths > MAX_WHAT_IF_CHILD_PATHS {
        return Err(Refused::Bad(format!(
            "too large for the what-if page: {} children × {} simulations × {} strategies is {} child paths, more than the page's {}; run it with `reunify run`",
            crate::results::format::count(sc.total_children() as f64),
            crate::results::format::count((req.iterations + 1) as f64),
            sc.model.strategies.len(),
            crate::dist::fmt_num(paths),
            crate::dist::fmt_num(MAX_WHAT_IF_CHILD_PATHS)
        )));
    }
    let opts = RunOptions { seed: sc.meta.seed, iterations: req.iterations, base_case_only: req.iterations == 0 };
    let flow = sc.budget.is_some();
    // What the children's paths depend on: the overrides that are not prices.
    let prices = state.sc.price_params();
    let is_price = |k: &str| state.sc.params.iter().position(|p| p.key == k).is_some_and(|i| prices.contains(&i));
    let paths =
        (req.overrides.iter().filter(|(k, _)| !is_price(k)).map(|(k, v)| (k.clone(), *v)).collect(), req.iterations);
    let kept = state.simulated.lock().unwrap_or_else(|p| p.into_inner()).clone().filter(|c| c.paths == paths);
    let tallies = (req.iterations as usize + 1) * sc.model.strategies.len() * sc.authorities.len();
    let repriced = kept.is_some();
    let digests: Vec<Arc<IterationDigest>> = match kept {
        // Only prices differ from the last simulation: price its tallies again.
        Some(kept) => kept
            .results
            .iter()
            .map(|r| {
                let values = match r.iteration {
                    0 => sc.point_values(),
                    i => crate::model::draw_parameters(&sc, sc.meta.seed, i),
                };
                super::run::reduce(&r.repriced(&sc, values), flow, false).0
            })
            .collect(),
        None if tallies <= MAX_KEPT_TALLIES => {
            let mut results = Vec::new();
            let part = sim::Part::whole(opts);
            sim::run_part(
                &sc,
                opts.seed,
                &part,
                &|| {},
                cancelled,
                |r| r,
                |r| {
                    results.push(r);
                    Ok::<_, Refused>(())
                },
            )?;
            let digests = results.iter().map(|r| super::run::reduce(r, flow, false).0).collect();
            *state.simulated.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(Simulated { paths, results }));
            digests
        }
        None => {
            let mut digests = Vec::new();
            let part = sim::Part::whole(opts);
            let reduce = |r: sim::IterationResult| super::run::reduce(&r, flow, false).0;
            sim::run_part(&sc, opts.seed, &part, &|| {}, cancelled, reduce, |d| {
                digests.push(d);
                Ok::<_, Refused>(())
            })?;
            digests
        }
    };
    let run = RunDigest::assemble(&sc, digests)?.ok_or_else(|| Refused::Failed("no base case".into()))?;
    let settings = Settings { decision_years: 3.0, scope: Scope::WhatIf };
    let analyses = Analyses::compute(&sc, &run, &settings, None)?;
    let summary = RunResults::new(&sc, &run, analyses, settings.decision_years)
        .map_err(|e| Refused::Failed(format!("{e:#}")))?
        .summary;
    let strategies = verdict::standings(&summary)
        .into_iter()
        .map(|st| {
            let b = summary.breakeven.iter().find(|b| b.strategy == st.strategy);
            Headline {
                breakeven_hazard_ratio: b.and_then(|b| b.breakeven_hazard_ratio),
                strategy: st.strategy,
                label: st.label,
                rank: st.rank,
                is_comparator: st.is_comparator,
                net_saving: st.net_saving,
                net_saving_interval: st.net_saving_interval,
                breakdowns_averted: st.breakdowns_averted,
                breakdowns_averted_interval: st.breakdowns_averted_interval,
                probability_saves: st.probability_saves,
                payback: st.payback,
                breakeven_effect: st.breakeven_effect,
                breakeven_price: st.breakeven_price,
                verdict: st.verdict,
            }
        })
        .collect();
    let svg = crate::report::charts::svg_of(&crate::report::figures::decision_chart(&summary))
        .map_err(|e| Refused::Failed(e.to_string()))?;
    Ok(Answer {
        seq: req.seq,
        iterations: run.psa.len(),
        headline: verdict::headline_note(&summary),
        strategies,
        svg,
        server_ms: start.elapsed().as_secs_f64() * 1e3,
        repriced,
    })
}

/// A parameter as the page shows it.
#[derive(Debug, Serialize)]
pub struct Control {
    pub key: String,
    pub label: String,
    pub unit: String,
    pub default: f64,
    /// The 2.5% and 97.5% quantiles of its PSA distribution (the point value twice when fixed).
    pub range: (f64, f64),
    pub allowed: &'static str,
    /// Whether the page shows it first: strategies' own values and the scenario's.
    pub main: bool,
}

/// `GET /api/scenario`.
#[derive(Debug, Serialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub title: String,
    pub seed: u64,
    pub iterations: u32,
    pub comparator: String,
    pub strategies: Vec<String>,
    pub controls: Vec<Control>,
}

pub fn scenario_info(sc: &Scenario) -> ScenarioInfo {
    let mut controls: Vec<Control> = Vec::new();
    for a in &sc.authorities {
        controls.push(Control {
            key: format!("authority.{}.children", a.name),
            label: format!("Children returning home ({})", a.name),
            unit: "children".into(),
            default: a.children as f64,
            range: (1.0, (a.children as f64 * 3.0).max(10.0)),
            allowed: "a whole number of children",
            main: true,
        });
    }
    if sc.budget.is_none() {
        controls.push(Control {
            key: "scenario.horizon_years".into(),
            label: "Years children are followed".into(),
            unit: "years".into(),
            default: sc.meta.horizon_years,
            range: (1.0, 10.0),
            allowed: "from one day to 100 years",
            main: true,
        });
    }
    for st in sc.model.strategies.iter().skip(1) {
        for (field, label, default) in [
            ("support_years", "years of support", st.support_years),
            ("effect_years", "years the effect lasts", st.effect_years),
        ] {
            controls.push(Control {
                key: format!("strategy.{}.{field}", st.name),
                label: format!("{}: {label}", st.label),
                unit: "years".into(),
                default,
                range: (0.0, 5.0),
                allowed: "0 or more years",
                main: true,
            });
        }
        if let crate::scenario::Eligibility::Rule { min_risk_score, .. } = &st.eligibility {
            let n = sc.model.risk_factors.len();
            controls.push(Control {
                key: format!("strategy.{}.min_risk_score", st.name),
                label: format!("{}: eligible from this many risk factors", st.label),
                unit: "risk factors".into(),
                default: min_risk_score.unwrap_or(0) as f64,
                range: (0.0, n as f64),
                allowed: "a whole number of risk factors",
                main: true,
            });
        }
    }
    let comparator = format!("strategy.{}.", sc.model.strategies[0].name);
    for p in &sc.params {
        let d = &p.param.dist;
        let range = if d.is_fixed() { (p.param.point, p.param.point) } else { (d.quantile(0.025), d.quantile(0.975)) };
        let unit = crate::report::value_unit(&p.key);
        controls.push(Control {
            key: p.key.clone(),
            label: p.label.clone(),
            unit: unit.describe().into(),
            default: p.param.point,
            range,
            allowed: p.domain.describe(),
            // The comparator's own values (usual care) are rarely what a meeting asks about.
            main: (p.key.starts_with("strategy.") && !p.key.starts_with(&comparator)) || p.key == "discount_rate",
        });
    }
    ScenarioInfo {
        name: sc.meta.name.clone(),
        title: sc.meta.title.clone(),
        seed: sc.meta.seed,
        iterations: sc.meta.iterations,
        comparator: sc.model.strategies[0].name.clone(),
        strategies: sc.model.strategies.iter().map(|s| s.name.clone()).collect(),
        controls,
    }
}

/// The scenario's text with the overrides as a `[what_if]` table, and a comment at the top
/// saying what changed. Refused when the overrides are not valid, or when the file already
/// has a `[what_if]` table (the new values would need merging into it by hand).
pub fn saved_toml(state: &State, overrides: &BTreeMap<String, f64>) -> Result<String, Refused> {
    state.sc.with_overrides(overrides, "what-if", "").map_err(|e| Refused::Bad(e.to_string()))?;
    let table: toml::Table = toml::from_str(&state.text).map_err(|e| Refused::Failed(e.to_string()))?;
    if table.contains_key("what_if") {
        return Err(Refused::Bad(format!(
            "{} already has a [what_if] table: edit its values there instead",
            state.file
        )));
    }
    let mut head = format!("# Saved from `reunify serve {}` with these values changed:\n", state.file);
    let mut tail = String::from("\n[what_if]\n");
    for (k, v) in overrides {
        let was = state.sc.current_value(k).map_or_else(|| "(not set)".to_string(), crate::dist::fmt_num);
        head.push_str(&format!("#   {k}: {was} -> {}\n", crate::dist::fmt_num(*v)));
        // The key is a TOML string; the value a float TOML reads back to the same f64.
        tail.push_str(&format!("{} = {}\n", toml::Value::String(k.clone()), toml::Value::Float(*v)));
    }
    if overrides.is_empty() {
        head.push_str("#   (none)\n");
    }
    Ok(format!(
        "{head}\n{}{}",
        state.text.trim_end(),
        if overrides.is_empty() { "\n".into() } else { format!("\n{tail}") }
    ))
}

/// A response as the server sends it: a whole body in memory.
type Reply = Response<Full<Bytes>>;

fn reply(code: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn json_response<T: Serialize>(code: u16, body: &T) -> Reply {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    reply(code, "application/json", bytes)
}

fn error_response(code: u16, message: &str) -> Reply {
    json_response(code, &serde_json::json!({ "error": message }))
}

/// Reads a body of at most [`MAX_BODY`] bytes within [`BODY_TIMEOUT`].
async fn body(req: Request<Incoming>) -> Result<Bytes, Reply> {
    match tokio::time::timeout(BODY_TIMEOUT, Limited::new(req.into_body(), MAX_BODY).collect()).await {
        Err(_) => Err(error_response(408, "the request's body did not arrive in time")),
        Ok(Ok(b)) => Ok(b.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            Err(error_response(413, &format!("the request is over {} KiB", MAX_BODY / 1024)))
        }
        Ok(Err(e)) => Err(error_response(400, &format!("cannot read the request: {e}"))),
    }
}

/// The `Host` header values a server bound to `addr` (asked for as `host`) answers to: the
/// address itself, `localhost` and the name it was asked for, each with the port. A server
/// bound to every interface also answers to any IP address with its port. A name that is not
/// one of these is refused, so a page that rebinds its own domain name to this machine (DNS
/// rebinding) cannot read from it.
pub fn allowed_hosts(addr: std::net::SocketAddr, host: &str) -> Vec<String> {
    let port = addr.port();
    let ip = match addr.ip() {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        v4 => v4.to_string(),
    };
    let mut v = vec![format!("{ip}:{port}"), format!("localhost:{port}"), format!("{host}:{port}")];
    if addr.ip().is_unspecified() {
        v.push(format!("*:{port}"));
    }
    v
}

fn host_allowed(hosts: &[String], value: &str) -> bool {
    let value = value.to_ascii_lowercase();
    hosts.iter().any(|h| match h.strip_prefix("*:") {
        // Any IP literal with the port: no DNS name can rebind to it.
        Some(port) => value.rsplit_once(':').is_some_and(|(ip, p)| {
            p == port && ip.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok()
        }),
        None => *h == value,
    })
}

/// Refuses what no page of this server sends: a `Host` it does not answer to (DNS
/// rebinding), an `Origin` other than its own (another site's page, which a browser lets send
/// a form-like POST without asking first), and a POST whose body is not declared JSON (which
/// is what makes a browser ask first for any cross-site request).
fn refused_by_origin(state: &State, method: &Method, headers: &HeaderMap) -> Option<Reply> {
    let hosts = state.hosts.get()?;
    let get = |name: &str| headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let host = match get("Host") {
        Some(h) if host_allowed(hosts, &h) => h,
        _ => return Some(error_response(421, "this server answers only to its own address (Host)")),
    };
    // The page's own requests come from the address it was loaded from, which is the Host
    // they are sent to: any other Origin is another page, even one on another of this
    // machine's addresses (under --host 0.0.0.0) or on the same port elsewhere.
    if let Some(origin) = get("Origin") {
        let own = origin.strip_prefix("http://").is_some_and(|h| h.eq_ignore_ascii_case(&host));
        if !own {
            return Some(error_response(403, "requests from other sites' pages are refused (Origin)"));
        }
    }
    if *method == Method::POST {
        let json = get("Content-Type")
            .is_some_and(|t| t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
        if !json {
            return Some(error_response(415, "send the request as JSON (Content-Type: application/json)"));
        }
    }
    None
}

/// `Content-Disposition` for a download named `name`: an ASCII fallback (anything else, and
/// quotes and backslashes, as `_`) and the exact name in UTF-8 (RFC 6266, RFC 8187), so any
/// scenario name makes a valid header.
fn attachment(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Keeps the set of remembered clients bounded: past [`MAX_CLIENTS`], every client with no
/// simulation running is forgotten (a client that comes back starts afresh, which only means
/// its next request is not compared with its last).
fn forget_idle_clients(state: &State) {
    let mut running = state.running.lock().unwrap_or_else(|p| p.into_inner());
    if running.len() < MAX_CLIENTS {
        return;
    }
    // A lock held only by the map is a client with nothing running.
    running.retain(|_, lock| Arc::strong_count(lock) > 1);
    let mut latest = state.latest.lock().unwrap_or_else(|p| p.into_inner());
    latest.retain(|client, _| running.contains_key(client));
}

/// Sets its flag when dropped: a request's future holds one, and hyper drops the future when
/// the client closes its connection, so the simulation working for it stops.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Answers one request.
async fn handle(state: Arc<State>, work: Arc<Semaphore>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    if let Some(r) = refused_by_origin(&state, req.method(), req.headers()) {
        return Ok(r);
    }
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    Ok(match (method, path.as_str()) {
        (Method::GET, "/") => reply(200, "text/html; charset=utf-8", PAGE),
        (Method::GET, "/api/scenario") => json_response(200, &scenario_info(&state.sc)),
        (Method::POST, "/api/whatif") => match body(req).await {
            Err(r) => r,
            Ok(b) => match serde_json::from_slice::<WhatIf>(&b) {
                Err(e) => error_response(400, &format!("not a what-if request: {e}")),
                Ok(w) if w.client.chars().count() > MAX_CLIENT_ID => {
                    error_response(400, &format!("client: an id of at most {MAX_CLIENT_ID} characters"))
                }
                Ok(w) => answer_what_if(state, work, w).await,
            },
        },
        (Method::POST, "/api/scenario.toml") => match body(req).await {
            Err(r) => r,
            Ok(b) => match serde_json::from_slice::<WhatIf>(&b) {
                Err(e) => error_response(400, &format!("not a what-if request: {e}")),
                Ok(w) => match saved_toml(&state, &w.overrides) {
                    Ok(t) => {
                        let mut r = reply(200, "application/toml; charset=utf-8", t);
                        let name = attachment(&format!("{}-what-if.toml", state.sc.meta.name));
                        // Always ASCII ([`attachment`]), so always a valid header value.
                        if let Ok(v) = HeaderValue::from_str(&name) {
                            r.headers_mut().insert(CONTENT_DISPOSITION, v);
                        }
                        r
                    }
                    Err(Refused::Bad(m)) => error_response(400, &m),
                    Err(Refused::Superseded | Refused::Failed(_)) => error_response(500, "cannot write the scenario"),
                },
            },
        },
        (_, "/" | "/api/scenario" | "/api/whatif" | "/api/scenario.toml") => error_response(405, "method not allowed"),
        _ => error_response(404, "not found"),
    })
}

/// Computes a what-if answer on the bounded pool, stopping it when a newer request of the
/// same client arrives or when this request's client goes away.
async fn answer_what_if(state: Arc<State>, work: Arc<Semaphore>, w: WhatIf) -> Reply {
    // A client that names itself has one simulation at a time: a newer request stops an older
    // one. Anonymous requests never stop each other.
    let named = !w.client.is_empty();
    if named {
        forget_idle_clients(&state);
        let mut latest = state.latest.lock().unwrap_or_else(|p| p.into_inner());
        let l = latest.entry(w.client.clone()).or_insert(w.seq);
        *l = (*l).max(w.seq);
    }
    let gone = Arc::new(AtomicBool::new(false));
    let _stop_when_dropped = StopOnDrop(gone.clone());
    let Ok(_slot) = work.acquire_owned().await else { return error_response(500, "the server is stopping") };
    let answer = tokio::task::spawn_blocking(move || {
        let newer = || {
            named && state.latest.lock().unwrap_or_else(|p| p.into_inner()).get(&w.client).is_some_and(|&l| l > w.seq)
        };
        let stop = || gone.load(Ordering::Relaxed) || newer();
        // One simulation per client at a time: a request waits for the client's older one,
        // which stops at its next batch of children once it sees a newer request, and then
        // gives way if it is no longer the newest itself.
        let lock = named.then(|| {
            state.running.lock().unwrap_or_else(|p| p.into_inner()).entry(w.client.clone()).or_default().clone()
        });
        let _turn = lock.as_ref().map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
        if stop() { Err(Refused::Superseded) } else { what_if(&state, &w, &stop) }
    })
    .await;
    match answer {
        Ok(Ok(a)) => json_response(200, &a),
        Ok(Err(Refused::Bad(m))) => error_response(400, &m),
        Ok(Err(Refused::Superseded)) => error_response(409, "superseded by a newer request"),
        Ok(Err(Refused::Failed(m))) => error_response(500, &m),
        Err(e) => error_response(500, &format!("the simulation failed: {e}")),
    }
}

/// Serves until the process is interrupted: one tokio runtime of two threads accepting and
/// answering connections, and at most [`WORKERS`] threads simulating.
pub fn serve(state: State, host: &str, port: u16, on_ready: impl FnOnce(&str)) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(WORKERS)
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the server: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((host, port))
            .await
            .map_err(|e| anyhow!("cannot listen on {host}:{port}: {e}"))?;
        let addr = listener.local_addr()?;
        let _ = state.hosts.set(allowed_hosts(addr, &host.to_ascii_lowercase()));
        on_ready(&format!("http://{addr}/"));
        let state = Arc::new(state);
        let work = Arc::new(Semaphore::new(WORKERS));
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of file descriptors, say: wait for connections to close.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            // Beyond the bound, the connection is closed at once rather than kept waiting.
            let Ok(slot) = connections.clone().try_acquire_owned() else { continue };
            let (state, work) = (state.clone(), work.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| handle(state.clone(), work.clone(), req));
                let mut conn = std::pin::pin!(
                    hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                );
                // Every phase has a deadline: the headers (HEADER_TIMEOUT), the body
                // (BODY_TIMEOUT), and the connection as a whole, which also bounds a client
                // that never reads its answer.
                if tokio::time::timeout(CONNECTION_LIFETIME, conn.as_mut()).await.is_err() {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(CONNECTION_GRACE, conn.as_mut()).await;
                }
                drop(slot);
            });
        }
    })
}

/// The headline figure of a strategy, for tests: its net saving as the page shows it.
pub fn net_saving(a: &Answer, strategy: &str) -> Option<f64> {
    a.strategies.iter().find(|s| s.strategy == strategy).and_then(|s| s.net_saving)
}

/// `reunify serve FILE`: the what-if page for a scenario, until Ctrl-C.
pub fn command(file: &std::path::Path, host: &str, port: u16) -> Result<(), super::AppError> {
    let (sc, text) = super::load_scenario_text(file)?;
    let state = State::new(sc, text, file.display().to_string());
    serve(state, host, port, |url| {
        println!("What-if page for {}: open {url} (Ctrl-C stops)", file.display());
    })?;
    Ok(())
}
