//! The HTML report in a real browser: headless Chromium opens it from `file://`, with no
//! network, and the test checks what a person would see.
//!
//! Chromium is driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`:
//! JSON messages separated by NUL bytes on fds 3 and 4), so no WebSocket client and no
//! browser-automation crate is needed. Chromium missing is a set-up failure, not a skip:
//! `.ci/run` installs Debian's `chromium` package.

mod common;

use crosscheck::exit::Exit;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use common::{command_test, crosscheck};

/// A headless Chromium with one page, driven over the DevTools pipe.
struct Browser {
    child: Child,
    to_browser: std::fs::File,
    from_browser: mpsc::Receiver<Value>,
    next_id: u64,
    session: String,
    /// Events received while waiting for responses.
    events: VecDeque<Value>,
    _profile: tempfile::TempDir,
}

fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(path) = which::which(name) {
            return path;
        }
    }
    panic!(
        "chromium is not installed: the HTML report's browser test needs it \
         (apt-get install -y chromium; .ci/run installs it when missing)"
    );
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // Close-on-exec: only the copies placed on fds 3 and 4 reach Chromium.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2 failed");
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

impl Browser {
    fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (browser_reads, we_write) = pipe();
        let (we_read, browser_writes) = pipe();
        let (r, w) = (browser_reads.as_raw_fd(), browser_writes.as_raw_fd());
        let mut cmd = Command::new(chromium());
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--remote-debugging-pipe",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        unsafe {
            cmd.pre_exec(move || {
                // Move both ends out of the way first, so neither dup2 clobbers the other.
                let r2 = libc::fcntl(r, libc::F_DUPFD, 10);
                let w2 = libc::fcntl(w, libc::F_DUPFD, 10);
                if r2 < 0 || w2 < 0 || libc::dup2(r2, 3) < 0 || libc::dup2(w2, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("chromium starts");
        drop(browser_reads);
        drop(browser_writes);
        let (tx, rx) = mpsc::channel();
        let reader = std::fs::File::from(we_read);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(reader);
            let mut buf = Vec::new();
            while let Ok(n) = reader.read_until(0, &mut buf) {
                if n == 0 {
                    break;
                }
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
                buf.clear();
            }
        });
        let mut browser = Browser {
            child,
            to_browser: std::fs::File::from(we_write),
            from_browser: rx,
            next_id: 0,
            session: String::new(),
            events: VecDeque::new(),
            _profile: profile,
        };
        let target = browser.call_browser("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let attached = browser.call_browser(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        for method in ["Runtime.enable", "Log.enable", "Page.enable"] {
            browser.call(method, json!({}));
        }
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
        browser
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.to_browser
            .write_all(&bytes)
            .expect("write to chromium");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .from_browser
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer from chromium to {method}"));
            if v["id"] == json!(id) {
                if let Some(e) = v.get("error") {
                    panic!("{method} failed: {e}");
                }
                return v["result"].clone();
            }
            self.events.push_back(v);
        }
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(&session))
    }

    /// Waits for an event of this page, keeping the others.
    fn wait_event(&mut self, method: &str) -> Value {
        if let Some(pos) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(pos).unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .from_browser
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("chromium sent no {method}"));
            if v["method"] == method {
                return v;
            }
            self.events.push_back(v);
        }
    }

    fn open(&mut self, path: &Path) {
        let url = format!("file://{}", path.display());
        self.events.clear();
        let nav = self.call("Page.navigate", json!({"url": url}));
        assert!(nav.get("errorText").is_none(), "navigation to {url}: {nav}");
        self.wait_event("Page.loadEventFired");
    }

    /// Evaluates JavaScript in the page and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        assert!(
            r.get("exceptionDetails").is_none(),
            "{expression} threw: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Console errors, uncaught exceptions and failed loads (a missing image or stylesheet, a
    /// Content-Security-Policy violation) since the page was opened.
    fn errors(&mut self) -> Vec<String> {
        // Let late events (images) arrive.
        let _ = self.eval("1");
        while let Ok(v) = self.from_browser.recv_timeout(Duration::from_millis(300)) {
            self.events.push_back(v);
        }
        self.events
            .iter()
            .filter_map(|e| match e["method"].as_str()? {
                "Runtime.exceptionThrown" => Some(e["params"]["exceptionDetails"].to_string()),
                "Runtime.consoleAPICalled" if e["params"]["type"] == "error" => {
                    Some(e["params"]["args"].to_string())
                }
                "Log.entryAdded"
                    if matches!(
                        e["params"]["entry"]["level"].as_str(),
                        Some("error" | "warning")
                    ) =>
                {
                    Some(e["params"]["entry"].to_string())
                }
                _ => None,
            })
            .collect()
    }

    fn screenshot(&mut self) -> Vec<u8> {
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": false}),
        );
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Standard deviation of the gray levels of a PNG: 0 for a blank page.
fn gray_spread(png_bytes: &[u8]) -> (f64, usize, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<f64> = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| p.iter().take(3).map(|c| *c as f64).sum::<f64>() / 3.0)
        .collect();
    let mean = pixels.iter().sum::<f64>() / pixels.len() as f64;
    let var = pixels.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / pixels.len() as f64;
    (var.sqrt(), info.width as usize, info.height as usize)
}

/// Results as `crosscheck run --json` writes them, for a suite on three engines (one failing,
/// with plots) and an OMV test; recorded by hand: this tests the report, not simulators.
fn fixture() -> Value {
    let t: Vec<f32> = (0..2000).map(|i| i as f32 * 0.05).collect();
    let trace = |shift: f32| -> Value {
        let v: Vec<f32> = t
            .iter()
            .map(|t| {
                let phase = (t + shift) % 25.0;
                if phase < 0.6 {
                    30.0
                } else {
                    -70.0 + phase * 0.8
                }
            })
            .collect();
        json!({"population": "cell", "variable": "v", "unit": "mV", "cell": 0,
               "time_ms": t, "values": v, "samples": 40000})
    };
    let spikes = |shift: f32| -> Value {
        let events: Vec<(u32, f32)> = (0..4).map(|k| (0, 25.0 * k as f32 + 0.3 - shift)).collect();
        json!({"population": "cell", "cells": [0], "events": events, "total": 4})
    };
    let native = |engine: &str, status: &str, shift: f32| -> Value {
        json!({
            "id": "native/hh_step.crosscheck.yaml", "model": "hh_step",
            "file": "/suites/native/hh_step.crosscheck.yaml", "line": 1,
            "engine": engine, "engine_version": format!("{engine} 1.0"), "status": status,
            "duration_s": 2.5,
            "message": if status == "pass" { Value::Null } else { json!("reference / cell spikes: 4 spikes shifted by 2 ms") },
            "observables": [{"experiment": "cell cell 0", "observable": "spike_count", "status": status,
                "tolerance": 0.0, "expected": 4.0, "observed": 4.0, "message": "spike_count 4",
                "min_passing_tolerance": 0.0, "file": "/suites/native/hh_step.crosscheck.yaml", "line": 30}],
            "commands": [{"argv": ["python", "run.py"], "cwd": "/tmp/w", "exit_code": 0, "signal": null, "duration_s": 2.0}],
            "output_tail": "simulated 100 ms\n", "workdir": null,
            "plots": {"traces": [trace(shift)], "spikes": [spikes(shift)],
                      "reference_traces": [trace(0.0)], "reference_spikes": [spikes(0.0)],
                      "differences": [{"population": "cell", "variable": "v", "unit": "mV", "cell": 0,
                                        "against": "reference", "time_ms": [0.0, 50.0, 100.0],
                                        "values": [0.0, shift * 10.0, 0.0], "max_abs": shift * 10.0}],
                      "spike_window_ms": 1.0, "duration_ms": 100.0}
        })
    };
    json!({
        "schema_version": 1, "crosscheck_version": "0.1.0", "started_at": "2026-11-26T03:10:00+00:00",
        "duration_s": 12.5, "jobs": 2, "hostname": "ci", "interrupted": false,
        "versions": {"neuron": "8.2.7", "nest-simulator": "3.10.0"},
        "summary": {"total": 4, "pass": 3, "fail": 1, "error": 0, "timeout": 0, "skip": 0},
        "agreement": [{"suite": "hh_step", "file": "/suites/native/hh_step.crosscheck.yaml",
            "engines": ["NEURON", "NEST"], "matrix": [["-", "fail"], ["fail", "-"]],
            "pairs": [{"a": "NEURON", "b": "NEST", "status": "fail",
                       "checks": [{"what": "cell spikes", "passed": false, "message": "cell 0: 4 spikes shifted by 2 ms"}]}]}],
        "tests": [
            native("NEURON", "pass", 0.0),
            native("NEST", "fail", 2.0),
            {"id": "omv/.test.ex0.omt", "model": "LEMS_Ex0.xml", "file": "/omv/.test.ex0.omt", "line": 2,
             "engine": "jNeuroML", "engine_version": "jNeuroML 0.14.0", "status": "pass", "duration_s": 1.7,
             "message": null,
             "observables": [{"experiment": "iaf", "observable": "spike times", "status": "pass",
                "tolerance": 0.001, "expected": [41.0, 82.595, 124.19], "observed": [41.0, 82.6, 124.2],
                "message": "all within tolerance", "min_passing_tolerance": 0.00006,
                "file": "/omv/.test.ex0.omt", "line": 10}],
             "commands": [], "output_tail": null, "workdir": null},
            {"id": "omv/.test.ex0.omt", "model": "LEMS_Ex0.xml", "file": "/omv/.test.ex0.omt", "line": 2,
             "engine": "jNeuroML_NEURON", "engine_version": null, "status": "pass", "duration_s": 3.0,
             "message": null, "observables": [], "commands": [], "output_tail": null, "workdir": null}
        ]
    })
}

/// Counts the index's visible matrix rows and reads its statuses.
const MATRIX_STATE: &str = r#"(() => {
  const rows = Array.from(document.querySelectorAll('#matrix tbody tr'));
  const visible = rows.filter(r => getComputedStyle(r).display !== 'none');
  return {
    rows: rows.length,
    visible: visible.length,
    visibleModels: visible.map(r => r.cells[0].textContent),
    cells: Array.from(document.querySelectorAll('#matrix td[data-status]'))
      .filter(c => c.dataset.status)
      .map(c => c.closest('tr').cells[0].textContent + '/' + c.dataset.engine + '=' + c.dataset.status),
    colour: getComputedStyle(document.querySelector('#matrix td.st-fail')).backgroundColor,
  };
})()"#;

#[test]
fn report_works_in_a_real_browser_from_file_urls() {
    let work = tempfile::tempdir().unwrap();
    let results = work.path().join("results.json");
    std::fs::write(&results, serde_json::to_string_pretty(&fixture()).unwrap()).unwrap();
    let out = work.path().join("report");
    crosscheck(work.path())
        .args([
            "report",
            results.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("index.html"));

    let mut browser = Browser::launch();
    browser.open(&out.join("index.html"));
    let errors = browser.errors();
    assert!(
        errors.is_empty(),
        "console errors on the index: {errors:#?}"
    );
    let state = browser.eval(MATRIX_STATE);
    assert_eq!(state["rows"], 2, "{state}");
    assert_eq!(state["visible"], 2, "{state}");
    let cells: Vec<&str> = state["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(
        cells,
        [
            "hh_step/NEURON=pass",
            "hh_step/NEST=fail",
            "LEMS_Ex0.xml/jNeuroML=pass",
            "LEMS_Ex0.xml/jNeuroML_NEURON=pass"
        ]
    );
    // Coloured by status: the failing cell has the fail colour (#e0691a).
    assert_eq!(state["colour"], "rgb(224, 105, 26)");

    // Unticking "pass" hides the row where everything passed, keeps the one with a failure.
    browser.eval("document.getElementById('filter-status-pass').click()");
    let state = browser.eval(MATRIX_STATE);
    assert_eq!(state["visible"], 1, "{state}");
    assert_eq!(state["visibleModels"], json!(["hh_step"]));
    // The text search narrows further; the engine filter hides other engines' columns.
    browser.eval("document.getElementById('filter-status-pass').click()");
    browser.eval(
        "const s = document.getElementById('filter-text'); s.value = 'lems_ex0'; \
         s.dispatchEvent(new Event('input'))",
    );
    let state = browser.eval(MATRIX_STATE);
    assert_eq!(state["visibleModels"], json!(["LEMS_Ex0.xml"]), "{state}");

    // The failing engine's page: plots load (no broken image), and it is not blank.
    let page = std::fs::read_dir(out.join("tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("hh-step-nest.html"))
        .expect("page of hh_step on NEST");
    browser.open(&page);
    let errors = browser.errors();
    assert!(
        errors.is_empty(),
        "console errors on {}: {errors:#?}",
        page.display()
    );
    let images =
        browser.eval("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)");
    let images = images.as_array().unwrap();
    assert!(images.len() >= 2, "trace and raster plots: {images:?}");
    assert!(
        images.iter().all(|ok| ok == true),
        "an image did not load: {images:?}"
    );
    assert_eq!(
        browser.eval("document.getElementById('status').textContent"),
        "fail"
    );
    browser.eval("window.scrollTo(0, document.querySelector('.plot').offsetTop)");
    let (spread, width, height) = gray_spread(&browser.screenshot());
    assert_eq!((width, height), (1280, 900));
    assert!(
        spread > 20.0,
        "the page with plots looks blank (gray spread {spread:.1})"
    );
}

#[test]
fn report_of_a_real_run_shows_its_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    command_test(&repo, "good", "printf '1\\n' > out.dat", "[1]", "0.1");
    command_test(&repo, "bad", "printf '7\\n' > out.dat", "[1]", "0.1");
    let out = dir.path().join("html");
    let home = dir.path().join("home");
    crosscheck(&home)
        .args([
            "run",
            repo.to_str().unwrap(),
            "--html",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(Exit::TestsFailed.code())
        .stdout(predicates::str::contains("report: file://"));
    let mut browser = Browser::launch();
    browser.open(&out.join("index.html"));
    let errors = browser.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let state = browser.eval(MATRIX_STATE);
    let mut cells: Vec<String> = state["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    cells.sort();
    assert_eq!(cells, ["bad.sh/command=fail", "good.sh/command=pass"]);
    browser.eval("document.getElementById('filter-status-pass').click()");
    let state = browser.eval(MATRIX_STATE);
    assert_eq!(state["visibleModels"], json!(["bad.sh"]), "{state}");
    // The failing test's page says why, in numbers, and draws expected against observed spikes.
    browser.eval("document.querySelector('#matrix td.st-fail a').click()");
    browser.wait_event("Page.loadEventFired");
    let text = browser.eval("document.body.innerText");
    let text = text.as_str().unwrap();
    assert!(text.contains("bad.sh on command"), "{text}");
    assert!(text.contains("Expectations and observations"), "{text}");
    assert!(
        text.contains("max |Δ| 6 at [0]"),
        "difference observed − expected: {text}"
    );
    let images = browser.eval("Array.from(document.images).filter(i => i.naturalWidth > 0).length");
    assert_eq!(images, 1, "the raster of expected and observed spike times");
}

/// The checks above could fail: the same detectors see a console error, a blocked inline
/// script (the report's Content Security Policy) and a missing image, and a blank page.
#[test]
fn the_browser_checks_catch_errors_and_blank_pages() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'; img-src 'self'\"></head><body>\
         <img src=\"missing.svg\"><script>console.error('inline ran')</script></body></html>",
    )
    .unwrap();
    let blank = dir.path().join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let mut browser = Browser::launch();
    browser.open(&page);
    let errors = browser.errors();
    assert!(
        errors.iter().any(|e| e.contains("Content Security Policy")),
        "CSP violation seen: {errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("missing.svg")),
        "failed image load seen: {errors:#?}"
    );
    assert!(
        !errors.iter().any(|e| e.contains("inline ran")),
        "the inline script was blocked"
    );
    browser.open(&blank);
    let (spread, _, _) = gray_spread(&browser.screenshot());
    assert!(spread < 1.0, "a blank page measures as blank ({spread})");
}
