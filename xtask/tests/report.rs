//! `cargo xtask report`: the HTML report of a small recorded run (tests/data/report/results.json:
//! equal, explained, divergent and error cases of both kinds, two of them named to inject script),
//! its counts, groups, case pages, escaping, the baseline delta and the merge of shards.

use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::Command,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/report/results.json");
const SSTORE: &str = "stSStore/sstore.json::sstoreGas::Cancun::d0g0v0";
const SCRIPT: &str = "stBad/x.json::<script>alert(1)</script>::Cancun::d0g0v0";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ovm-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn recorded() -> Value {
    serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap()
}

fn write_run(dir: &Path, results: &Value) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("results.json"), serde_json::to_vec_pretty(results).unwrap()).unwrap();
    dir.to_path_buf()
}

fn xtask(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask")).arg("report").args(args).output().unwrap()
}

fn render(name: &str) -> PathBuf {
    let run = write_run(&scratch(name).join("run"), &recorded());
    let out = xtask(&[run.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    run
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of HTML (the escaper's entities decoded), for comparing with what a reader sees.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The inner HTML of the first element whose opening tag contains `marker`.
fn element<'a>(html: &'a str, marker: &str, close: &str) -> &'a str {
    let start = html.find(marker).unwrap_or_else(|| panic!("no `{marker}` in the page"));
    let open_end = start + html[start..].find('>').unwrap() + 1;
    let end = open_end + html[open_end..].find(close).unwrap();
    &html[open_end..end]
}

/// The page of a case, found as a reader finds it: the index's link whose text is the id.
fn page_path(run: &Path, id: &str) -> PathBuf {
    let index = read(&run.join("index.html"));
    let link = index
        .split("<a href=\"")
        .skip(1)
        .find(|chunk| text(chunk.split_once("\">").map_or("", |(_, rest)| rest).split("</a>").next().unwrap()) == id)
        .unwrap_or_else(|| panic!("no link to {id} on the index"));
    run.join(text(link.split('"').next().unwrap()))
}

fn page_of(run: &Path, id: &str) -> String {
    read(&page_path(run, id))
}

#[test]
fn the_index_counts_statuses_verdicts_kinds_and_folders() {
    let run = render("counts");
    let index = read(&run.join("index.html"));
    for (status, n) in [("pass", 6), ("fail", 4), ("error", 1), ("skipped", 1)] {
        assert!(index.contains(&format!("data-status=\"{status}\">{n}</td>")), "status {status}: {n}");
    }
    for (verdict, n, percent) in
        [("equal", 3, "30.0%"), ("divergent", 4, "40.0%"), ("explained(halt-order)", 2, "20.0%")]
    {
        let cell = format!("data-verdict=\"{verdict}\">{n}</td><td class=\"n\">{percent}</td>");
        assert!(index.contains(&cell), "verdict {verdict}: {n} ({percent})");
    }
    let row = |name: &str, counts: [usize; 9]| {
        let cells: String = counts.iter().map(|n| format!("<td class=\"n\">{n}</td>")).collect();
        format!("<tr><td>{name}</td>{cells}</tr>")
    };
    // cases, pass, fail, error, skipped, equal, explained, divergent, verdict error
    assert!(index.contains(&row("state tests", [8, 4, 2, 1, 1, 2, 1, 2, 1])), "state tests row");
    assert!(index.contains(&row("blockchain tests", [4, 2, 2, 0, 0, 1, 1, 2, 0])), "blockchain tests row");
    assert!(index.contains(&row("all", [12, 6, 4, 1, 1, 3, 2, 4, 1])), "all row");
    assert!(index.contains(&row("stExample", [4, 3, 0, 0, 1, 2, 0, 0, 0])), "folder stExample");
    // The folder chart: one bar per folder (8 folders), segments by category; two histograms.
    let chart = element(&index, "aria-label=\"verdicts per folder\"", "</svg>");
    assert_eq!(chart.matches("<g>").count(), 9, "one bar per folder");
    assert_eq!(chart.matches("class=\"divergent\"").count(), 4, "four folders have a divergent case");
    assert!(index.contains("timings.ovm / timings.native: 9 case(s)"), "time histogram over 9 cases");
    assert!(index.contains("physical_gas / gas_used: 9 case(s)"), "gas histogram over 9 cases");
    // Equal, passing and skipped cases have no page: a filterable list of their ids.
    let others = element(&index, "id=\"others\"", "</ol>");
    assert_eq!(others.matches("<li>").count(), 5);
    assert!(others.contains("stExample/add11.json::add11::Shanghai::d0g0v0"));
    // The header says what ran.
    let header = text(element(&index, "id=\"header\"", "</table>"));
    for fact in ["0123456789abcdef0123456789abcdef01234567", "43.0.3", "0xfeedbeef", "2 core(s)", "2026-11-30 12:00:00"]
    {
        assert!(header.contains(fact), "header lacks {fact}");
    }
    assert!(header.contains("cargo xtask conformance --vectors '/srv/vectors/ethereum tests'"), "header: command");
}

#[test]
fn groups_are_by_signature_largest_first_and_link_every_case_page() {
    let run = render("groups");
    let index = read(&run.join("index.html"));
    let groups: Vec<&str> = index.split("<details class=\"group\"").skip(1).collect();
    let sizes: Vec<usize> = groups.iter().map(|g| g.matches("<a href=").count()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 7, "seven cases are not equal: {sizes:?}");
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "largest group first: {sizes:?}");
    let storage = groups.iter().find(|g| g.contains("<code>storage</code>")).expect("a storage group");
    assert!(storage.contains("<b>divergent</b>") && storage.matches("<a href=").count() == 2, "both storage cases");
    // A status difference is grouped by its pair of halt reasons.
    let halts: Vec<String> =
        groups.iter().filter(|g| g.contains("<b>explained(halt-order)</b>")).map(|g| text(g)).collect();
    assert_eq!(halts.len(), 2, "one group per pair of halt reasons: {halts:?}");
    assert!(halts.iter().any(|g| g.contains("<code>status Halt(OutOfGas) → Halt(StackOverflow)</code>")), "{halts:?}");
    assert_eq!(std::fs::read_dir(run.join("cases")).unwrap().count(), 7, "a page per case that is not equal");
}

#[test]
fn a_case_page_highlights_the_first_difference_and_gives_the_command() {
    let run = render("case");
    let page = page_of(&run, SSTORE);
    let first = element(&page, "id=\"first-difference\"", "</tr>");
    assert!(first.contains("account 0x1000000000000000000000000000000000000000: storage[0x3]"), "{first}");
    assert!(first.contains("0x<mark>5</mark>") && first.contains("0x<mark>6</mark>"), "{first}");
    assert_eq!(page.matches("id=\"first-difference\"").count(), 1);
    assert!(page.contains("balance") && page.contains("<mark>1000</mark>") && page.contains("<mark>990</mark>"));
    let command = text(element(&page, "id=\"command\"", "</pre>"));
    assert_eq!(command, format!("cargo xtask conformance --vectors '/srv/vectors/ethereum tests' --case {SSTORE}"));
    // A blockchain test: where it was found, then the field.
    let chain = page_of(&run, "BlockchainTests/ValidBlocks/bcState/st.json::storageAcross_Cancun");
    let first = element(&chain, "id=\"first-difference\"", "</tr>");
    assert!(first.contains("<td>block 1, transaction 0</td>"), "{first}");
}

#[test]
fn the_command_survives_the_shell() {
    let run = render("shell");
    let page = page_of(&run, SCRIPT);
    let command = text(element(&page, "id=\"command\"", "</pre>"));
    // The shell splits the command back into the exact vectors path and id.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("set -- {}; printf '%s\\n' \"$@\"", command.trim_start_matches("cargo xtask ")))
        .output()
        .unwrap();
    let words: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(words, ["conformance", "--vectors", "/srv/vectors/ethereum tests", "--case", SCRIPT]);
}

#[test]
fn test_data_is_text_never_markup() {
    let run = render("escape");
    let mut pages = vec![read(&run.join("index.html"))];
    for entry in std::fs::read_dir(run.join("cases")).unwrap() {
        pages.push(read(&entry.unwrap().path()));
    }
    for page in &pages {
        // Our own script block is the only one, and no test datum became an element or attribute.
        assert_eq!(page.matches("<script").count(), 1, "one <script> (the report's own)");
        for injected in ["<script>alert(1)", "<img src=x", "<b>panic", "<i>bad", "0x<b>01"] {
            assert!(!page.contains(injected), "`{injected}` is markup on a page");
        }
        for fetch in [" src=\"", "<link", "<img", "<iframe", "href=\"http", "url("] {
            assert!(!page.contains(fetch), "the page fetches something: {fetch}");
        }
    }
    let index = &pages[0];
    assert!(text(index).contains(SCRIPT), "the id is shown as text");
    assert!(text(index).contains("ovm backend: <b>panic</b> at foo"), "the error group's signature");
    assert!(text(index).contains("stBroken/<i>bad</i>.json"), "the file error");
    let script = page_of(&run, SCRIPT);
    assert!(text(element(&script, "id=\"case-id\"", "</h1>")) == SCRIPT);
}

fn modified(edit: impl Fn(&mut Value)) -> Value {
    let mut results = recorded();
    edit(&mut results);
    results
}

fn case_mut<'a>(results: &'a mut Value, id: &str) -> &'a mut Value {
    results["cases"].as_array_mut().unwrap().iter_mut().find(|c| c["id"] == id).unwrap()
}

#[test]
fn a_baseline_adds_newly_divergent_and_newly_equal_cases() {
    let dir = scratch("baseline");
    let before = write_run(
        &dir.join("before"),
        &modified(|r| {
            r["run"]["run_id"] = "20261129T000000Z-differential".into();
            let sstore = case_mut(r, SSTORE);
            sstore["verdict"] = "equal".into();
            sstore["status"] = "pass".into();
            sstore["physical_gas"] = 45000.into();
            let add = case_mut(r, "stExample/add11.json::add11::Cancun::d1g0v0");
            add["verdict"] = "divergent".into();
            add["status"] = "fail".into();
        }),
    );
    let run = write_run(&dir.join("run"), &recorded());
    let out = xtask(&[run.as_os_str(), "--baseline".as_ref(), before.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let index = read(&run.join("index.html"));
    let newly_divergent = text(element(&index, "id=\"newly-divergent\"", "</ul>"));
    assert_eq!(newly_divergent.matches("<li>").count(), 1, "{newly_divergent}");
    assert!(newly_divergent.contains(SSTORE) && newly_divergent.contains("equal → divergent"));
    let newly_equal = text(element(&index, "id=\"newly-equal\"", "</ul>"));
    assert!(newly_equal.contains("add11::Cancun::d1g0v0: divergent → equal"), "{newly_equal}");
    assert!(index.contains("2.143x") && index.contains("4.286x"), "the changed gas ratio of {SSTORE}");
}

fn shard(results: &Value, k: usize, n: usize, run_id: &str) -> Value {
    let mut shard = results.clone();
    shard["run"]["run_id"] = run_id.into();
    shard["run"]["shard"] = format!("{k}/{n}").into();
    let cases: Vec<Value> = results["cases"].as_array().unwrap().iter().skip(k - 1).step_by(n).cloned().collect();
    shard["cases"] = cases.into();
    shard
}

#[test]
fn shards_merge_into_the_whole_run_and_mismatched_ones_are_refused() {
    let dir = scratch("merge");
    let whole = recorded();
    let a = write_run(&dir.join("a"), &shard(&whole, 1, 2, "a"));
    let b = write_run(&dir.join("b"), &shard(&whole, 2, 2, "b"));
    let reports = dir.join("reports");
    let out = xtask(&["--merge".as_ref(), a.as_os_str(), b.as_os_str(), "--reports".as_ref(), reports.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run = std::fs::read_dir(&reports).unwrap().next().unwrap().unwrap().path();
    let merged: Value = serde_json::from_str(&read(&run.join("results.json"))).unwrap();
    for field in ["totals", "verdicts", "kinds", "skipped", "cases", "file_errors"] {
        assert_eq!(merged[field], whole[field], "{field}");
    }
    assert_eq!(merged["run"]["merged_from"], serde_json::json!(["a", "b"]));
    assert!(merged["run"].get("shard").is_none(), "every shard is in: the merged run is the whole run");
    assert!(run.join("index.html").is_file());

    let other = write_run(
        &dir.join("other"),
        &modified(|r| {
            *r = shard(r, 2, 2, "other");
            r["run"]["vectors"] = "/elsewhere".into();
        }),
    );
    let out = xtask(&["--merge".as_ref(), a.as_os_str(), other.as_os_str(), "--reports".as_ref(), reports.as_os_str()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("different vectors"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let commit = write_run(
        &dir.join("commit"),
        &modified(|r| {
            *r = shard(r, 2, 2, "commit");
            r["run"]["commit"] = "fedcba".into();
        }),
    );
    let out =
        xtask(&["--merge".as_ref(), a.as_os_str(), commit.as_os_str(), "--reports".as_ref(), reports.as_os_str()]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("different commits"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = xtask(&["--merge".as_ref(), a.as_os_str(), a.as_os_str(), "--reports".as_ref(), reports.as_os_str()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("given twice"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Chromium headless (Debian's `chromium`; `CHROMIUM` names another binary) loads the index and a
/// case page from `file://`: the counts and the highlighted first difference are in the rendered
/// DOM, the report's own script ran and the injected ones did not (the page titles are untouched).
/// Screenshots go to reports/browser-test/. Runs only with OVM_BROWSER_TEST=1
/// (xtask/tests/browser.sh installs chromium and runs it).
#[test]
fn in_a_headless_browser() {
    if std::env::var_os("OVM_BROWSER_TEST").is_none() {
        eprintln!("skipped: set OVM_BROWSER_TEST=1 to run it (needs chromium; see xtask/tests/browser.sh)");
        return;
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let run = render("browser");
    let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"];
    let dom = |path: &Path| {
        let out = Command::new(&chromium)
            .args(flags)
            .arg("--dump-dom")
            .arg(format!("file://{}", path.display()))
            .output()
            .expect("chromium runs");
        assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reports/browser-test");
    std::fs::create_dir_all(&shots).unwrap();
    let screenshot = |path: &Path, name: &str| {
        let out = Command::new(&chromium)
            .args(flags)
            .arg(format!("--screenshot={}", shots.join(name).display()))
            .arg("--window-size=1280,2400")
            .arg(format!("file://{}", path.display()))
            .output()
            .expect("chromium runs");
        assert!(out.status.success() && shots.join(name).is_file(), "screenshot {name}");
    };

    let index_path = run.join("index.html");
    let index = dom(&index_path);
    assert!(index.contains("data-js=\"ready\""), "the report's own script ran");
    assert!(index.contains("<title>OVM conformance: 20261130T120000Z-differential</title>"), "title untouched");
    assert!(!index.contains("pwned</title>"), "an injected script set the title");
    assert!(index.contains("data-status=\"fail\">4</td>") && index.contains("data-verdict=\"divergent\">4</td>"));
    assert!(index.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the id is text in the DOM");
    assert_eq!(index.matches("<script").count(), 1, "no injected <script> element in the DOM");
    screenshot(&index_path, "index.png");

    let href = |id: &str| page_path(&run, id);
    let chain = "BlockchainTests/ValidBlocks/bcX/<img src=x onerror=document.title='pwned'>.json::<script>document.title='pwned'</script>";
    let case_path = href(chain);
    let case = dom(&case_path);
    assert!(case.contains("data-js=\"ready\""), "the case page's own script ran");
    assert!(!case.contains("<title>pwned"), "an injected script set the title");
    assert!(case.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt; — OVM conformance</title>"), "title");
    assert_eq!(case.matches("<script").count(), 1, "no injected <script> element in the DOM");
    assert!(!case.contains("<img"), "no injected <img> element in the DOM");
    let sstore = dom(&href(SSTORE));
    let first = element(&sstore, "id=\"first-difference\"", "</tr>");
    assert!(first.contains("0x<mark>5</mark>") && first.contains("0x<mark>6</mark>"), "{first}");
    screenshot(&href(SSTORE), "case.png");
    screenshot(&case_path, "case-injected.png");
}

/// `conformance --quiet --html` over a vectors folder holding only `vector` (as `file`), in a scratch
/// folder named `name`; the run folder (`reports/latest`) and the scratch folder.
fn html_run(name: &str, vector: &str, file: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("vectors")).unwrap();
    std::fs::copy(vector, dir.join("vectors").join(file)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["conformance", "--quiet", "--html", "--vectors"])
        .arg(dir.join("vectors"))
        .arg("--reports")
        .arg(dir.join("reports"))
        .env_remove("ETHEREUM_TESTS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (dir.join("reports/latest"), dir)
}

/// End to end: `conformance --html` writes the report of a real run, and `report --traces 1` reruns
/// a case (made divergent in results.json) from the recorded vectors and puts both traces on its page.
#[test]
fn a_real_run_renders_and_a_case_page_gets_its_traces() {
    let own = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/state/call_and_log.json");
    let (run, dir) = html_run("real", own, "a.json");
    let index = read(&run.join("index.html"));
    let mut results: Value = serde_json::from_str(&read(&run.join("results.json"))).unwrap();
    let cases = results["cases"].as_array().unwrap().len();
    assert!(index.contains(&format!("data-verdict=\"equal\">{cases}</td>")), "every case equal, on the index");
    assert!(results["run"]["command"].as_str().unwrap().contains("conformance --quiet --html --vectors"));
    assert!(results["run"]["em_artifact"].as_str().unwrap().starts_with("0x"));

    let case = &mut results["cases"][0];
    case["verdict"] = "divergent".into();
    case["status"] = "fail".into();
    case["diff"] = serde_json::json!(["status: Stop vs Revert"]);
    let id = case["id"].as_str().unwrap().to_owned();
    let forced = write_run(&dir.join("forced"), &results);
    let out = xtask(&[forced.as_os_str(), "--traces".as_ref(), "1".as_ref()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = page_of(&forced, &id);
    let note = text(element(&page, "id=\"trace-note\"", "</p>"));
    assert!(note.starts_with("The two traces are equal, step by step ("), "{note}");
    assert!(!note.contains("(0 lines)"), "{note}");
}

/// End to end on a real explained case (`PUSH1 1 ADD` with 5 gas: out of gas natively, a stack
/// underflow at the guarded block's entry through the OVM): its page shows the rule and the native
/// fact under it, both call trees with the frame of the first difference marked, and the code run,
/// original beside transpiled, the first differing pc marked.
#[test]
fn an_explained_case_page_shows_its_rule_its_native_fact_its_call_trees_and_its_code() {
    let vector = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/out_of_gas_before_a_stack_failure.json");
    let (run, _) = html_run("explained", vector, "oog.json");
    let results: Value = serde_json::from_str(&read(&run.join("results.json"))).unwrap();
    let case = &results["cases"][0];
    assert_eq!(case["verdict"], "explained(halt-order)");
    let page = page_of(&run, case["id"].as_str().unwrap());

    let rule = text(element(&page, "id=\"rule\"", "</p>"));
    assert!(rule.contains("halt-order</b>: ") && rule.contains("Halt order"), "{rule}");
    let facts = text(element(&page, "id=\"rule-facts\"", "</ul>"));
    assert!(facts.contains("pc 2 (ADD) at depth 1") && facts.contains("OutOfGas"), "{facts}");

    for tree in ["id=\"tree-1\"", "id=\"tree-2\""] {
        let frames = element(&page, tree, "</table>");
        let marked = element(frames, "<tr class=\"first\"", "</tr>");
        assert!(
            text(marked).contains("transaction 0 → 0x1000000000000000000000000000000000000001"),
            "{tree}: {marked}"
        );
    }
    let index = text(&read(&run.join("index.html")));
    assert!(
        index.contains(r#"status Halt("OutOfGas") → Halt("StackUnderflow") at ADD"#),
        "grouped by the halt reasons and the first differing instruction"
    );
    let listing = element(&page, "class=\"listing\"", "</table>");
    let first_pc = text(element(listing, "id=\"first-pc\"", "</tr>"));
    assert!(first_pc.contains("000002  ADD"), "the first differing step is ADD's: {first_pc}");
    assert!(text(listing).contains("000000  PUSH1 0x01"), "{listing}");
    assert!(text(listing).contains("STACKGUARD") || text(listing).contains("JUMPDEST"), "the translation: {listing}");
}
