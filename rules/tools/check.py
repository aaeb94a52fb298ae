#!/usr/bin/env python3
"""Checks the dropcause rule files and maps them onto the EVTX corpus.

Until the Rust engine is available this is a stand-in: it parses every
rules/**/*.yml, checks the metadata and the `dropcause:` block against the agreed
format (RULE-FORMAT.md), runs each rule's `tests:` through a small Sigma matcher
(the subset these rules use: field maps, lists, |contains / |startswith /
|endswith / |all, `and` / `or` / `not`, `1 of x*`, `all of x*`, parentheses),
and optionally runs the rules over a JSONL dump of the corpus (one normalized
dropcause Event per line, as `serde_json::to_string(&event)` writes it) to
write rules/COVERAGE.md.

usage: check.py [--corpus EVENTS.jsonl --corpus-root DIR --coverage OUT.md]
"""
import argparse, collections, glob, json, os, re, sys
import yaml

RULES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLES = {"cause", "drop", "lifecycle", "context"}
CATEGORIES = {"certificate", "licensing", "service", "network", "authentication",
              "power", "resource", "security-product", "configuration"}
STEPS = {"connect", "auth", "logon", "reconnect", "disconnect", "logoff", "refused"}
EXT_KEYS = {"role", "category", "step", "window", "keys", "explain", "fix"}
LEVELS = {"informational", "low", "medium", "high", "critical"}
STATUS = {"stable", "test", "experimental", "deprecated", "unsupported"}
REQUIRED = ["title", "id", "status", "description", "references", "author", "date",
            "logsource", "detection", "level", "dropcause", "tests"]
CHANNELS = {
    "system": ["System"], "security": ["Security"], "application": ["Application"],
    "terminalservices-localsessionmanager": ["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"],
    "terminalservices-remoteconnectionmanager": [
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin"],
    "remotedesktopservices-rdpcorets": ["Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational"],
    "terminalservices-rdpclient": ["Microsoft-Windows-TerminalServices-RDPClient/Operational"],
    "networkprofile": ["Microsoft-Windows-NetworkProfile/Operational"],
    "wlan-autoconfig": ["Microsoft-Windows-WLAN-AutoConfig/Operational"],
    "capi2": ["Microsoft-Windows-CAPI2/Operational"],
    "certificateservicesclient-lifecycle-system": ["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"],
    "terminalservices-gateway": ["Microsoft-Windows-TerminalServices-Gateway/Operational"],
    "firewall-as": ["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
    "windefend": ["Microsoft-Windows-Windows Defender/Operational"],
}
DURATION = re.compile(r"^(\d+(ms|s|m|h|d))+$|^\d+$")


def field(ev, name):
    """Event::field semantics on a flat test event or a corpus event dict."""
    if name in ev:
        return ev[name]
    low = name.lower()
    for k, v in ev.items():
        if k.lower() == low:
            return v
    if name == "Provider_Name":
        return ev.get("EventSourceName")
    return None


def as_int(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        s = v.strip()
        try:
            return int(s, 16) if s.lower().startswith("0x") else int(s)
        except ValueError:
            return None
    return None


def text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def value_matches(actual, expected, mods):
    if expected is None:
        return actual is None or text(actual) == ""
    if actual is None:
        return False
    if not mods and isinstance(expected, int) and not isinstance(expected, bool):
        a = as_int(actual)
        return a is not None and a == expected
    a, e = text(actual).lower(), text(expected).lower()
    if "contains" in mods:
        return e in a
    if "startswith" in mods:
        return a.startswith(e)
    if "endswith" in mods:
        return a.endswith(e)
    if "re" in mods:
        return re.search(text(expected), text(actual)) is not None
    return a == e


def map_matches(ev, m):
    for key, expected in m.items():
        name, *mods = key.split("|")
        actual = field(ev, name)
        values = expected if isinstance(expected, list) else [expected]
        hits = [value_matches(actual, v, mods) for v in values]
        if not (all(hits) if "all" in mods else any(hits)):
            return False
    return True


def selection_matches(ev, sel):
    if isinstance(sel, list):
        return any(map_matches(ev, s) if isinstance(s, dict) else False for s in sel)
    return map_matches(ev, sel)


def tokenize(cond):
    return re.findall(r"\(|\)|[^\s()]+", cond)


def eval_condition(cond, detection, ev):
    toks = tokenize(cond)
    pos = 0
    names = [k for k in detection if k != "condition"]

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def pattern(p):
        if p == "them":
            return names
        rx = re.compile("^" + re.escape(p).replace(r"\*", ".*") + "$")
        found = [n for n in names if rx.match(n)]
        if not found:
            raise ValueError(f"`{p}` names no selection")
        return found

    def atom():
        t = take()
        if t == "(":
            v = expr()
            if take() != ")":
                raise ValueError("unbalanced parentheses")
            return v
        if t == "not":
            return not atom()
        if t in ("1", "all", "any") and peek() == "of":
            take()
            sels = [selection_matches(ev, detection[n]) for n in pattern(take())]
            return all(sels) if t == "all" else any(sels)
        if t not in detection:
            raise ValueError(f"condition names unknown selection `{t}`")
        return selection_matches(ev, detection[t])

    def conj():
        v = atom()
        while peek() == "and":
            take()
            w = atom()
            v = v and w
        return v

    def expr():
        v = conj()
        while peek() == "or":
            take()
            w = conj()
            v = v or w
        return v

    v = expr()
    if pos != len(toks):
        raise ValueError(f"trailing tokens in condition: {toks[pos:]}")
    return v


def channels_of(rule):
    svc = (rule.get("logsource") or {}).get("service")
    return CHANNELS.get(svc) if svc else None


def rule_matches(rule, ev):
    chans = channels_of(rule)
    if chans is not None and field(ev, "Channel") not in chans:
        return False
    det = rule["detection"]
    return eval_condition(det["condition"], det, ev)


def load_rules():
    rules = []
    for path in sorted(glob.glob(os.path.join(RULES, "**", "*.yml"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            rules.append((os.path.relpath(path, RULES), yaml.safe_load(f)))
    return rules


def lint(rules):
    errors = []
    ids = collections.Counter(r.get("id") for _, r in rules)
    for path, r in rules:
        e = lambda msg: errors.append(f"{path}: {msg}")
        for k in REQUIRED:
            if k not in r:
                e(f"missing `{k}`")
        if not str(r.get("id", "")).startswith("dc-"):
            e("id must start with dc-")
        if ids[r.get("id")] > 1:
            e(f"duplicate id {r.get('id')}")
        folder = path.split(os.sep)[0]
        if r.get("level") not in LEVELS:
            e(f"bad level {r.get('level')}")
        if r.get("status") not in STATUS:
            e(f"bad status {r.get('status')}")
        if r.get("author") != "dropcause":
            e("author must be dropcause")
        desc = r.get("description", "")
        if "What:" not in desc or "Why it matters" not in desc:
            e("description needs What: and Why it matters")
        for ref in r.get("references") or []:
            if not str(ref).startswith("https://"):
                e(f"reference is not a URL: {ref}")
        ls = r.get("logsource") or {}
        if ls.get("product") != "windows":
            e("logsource.product must be windows")
        if ls.get("service") and ls["service"] not in CHANNELS:
            e(f"logsource.service {ls['service']} not in the channel map")
        if not ls.get("service") and "Channel" not in json.dumps(r.get("detection")):
            e("a rule without logsource.service must select Channel")
        x = r.get("dropcause") or {}
        unknown = set(x) - EXT_KEYS
        if unknown:
            e(f"unknown dropcause keys {unknown}")
        if x.get("role") not in ROLES:
            e(f"bad role {x.get('role')}")
        if x.get("category") is not None and x["category"] not in CATEGORIES:
            e(f"bad category {x['category']}")
        if x.get("step") is not None and x["step"] not in STEPS:
            e(f"bad step {x['step']}")
        role = x.get("role")
        if role == "cause":
            for k in ("category", "window", "explain", "fix"):
                if not x.get(k):
                    e(f"cause rule needs dropcause.{k}")
            if x.get("step"):
                e("cause rules take no step")
        if role in ("lifecycle", "drop") and not x.get("step"):
            e(f"{role} rule needs a step")
        if role == "drop" and x.get("step") not in ("disconnect", "refused", "reconnect"):
            e("drop rules use step disconnect, refused or reconnect")
        if role == "lifecycle" and x.get("category"):
            e("lifecycle rules take no category")
        if x.get("category") and folder not in ("session", "client", "tools") and folder != x["category"]:
            e(f"category {x['category']} filed under {folder}/")
        w = x.get("window")
        if w is not None:
            if set(w) != {"before", "after"}:
                e("window needs before and after")
            for k in ("before", "after"):
                if k in w and not DURATION.match(str(w[k])):
                    e(f"window.{k} `{w[k]}` is not a duration")
        if not x.get("explain"):
            e("dropcause.explain missing")
        tests = r.get("tests") or {}
        if not tests.get("match") or not tests.get("no_match"):
            e("tests need >= 1 match and >= 1 no_match")
        if set(tests) - {"match", "no_match"}:
            e(f"unknown test keys {set(tests) - {'match', 'no_match'}}")
        placeholders = re.findall(r"\{([A-Za-z0-9_ .]+)\}", x.get("explain") or "")
        for ev in tests.get("match") or []:
            for p in placeholders:
                if field(ev, p) is None:
                    e(f"explain uses {{{p}}} but a match test event lacks it")
        try:
            for ev in tests.get("match") or []:
                if not rule_matches(r, ev):
                    e(f"test should match but does not: {ev}")
            for ev in tests.get("no_match") or []:
                if rule_matches(r, ev):
                    e(f"test should not match but does: {ev}")
        except (ValueError, KeyError, TypeError) as ex:
            e(f"detection error: {ex}")
    return errors


SYSTEM = {"event_id": "EventID", "channel": "Channel", "provider": "Provider_Name",
          "event_source": "EventSourceName", "computer": "Computer", "level": "Level",
          "qualifiers": "Qualifiers", "record_id": "EventRecordID",
          "activity_id": "ActivityID", "user_sid": "UserID"}


def flat(e):
    d = dict(e.get("fields") or {})
    for k, v in SYSTEM.items():
        if k in e:
            d[v] = e[k]
    return d


def coverage(rules, corpus, root, out):
    hits = collections.defaultdict(collections.Counter)
    unresolved = collections.defaultdict(collections.Counter)
    sample = {}
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            ev = flat(e)
            for path, r in rules:
                if rule_matches(r, ev):
                    src = os.path.relpath(e["source"], root)
                    hits[r["id"]][src] += 1
                    sample.setdefault(r["id"], ev)
                    missing = [x for x in re.findall(r"\{([A-Za-z0-9_ .]+)\}", (r.get("dropcause") or {}).get("explain") or "")
                               if field(ev, x) is None]
                    if missing:
                        unresolved[r["id"]].update(missing)
    lines = ["# Rule coverage over the EVTX corpus", "",
             "Generated by `rules/tools/check.py --corpus` over every record of `shared/corpus/`",
             "(the project's own ingest, dumped as JSONL), with a small stand-in Sigma matcher.",
             "A rule listed with \"no corpus instance\" has been checked only against its own tests",
             "and the field names in rdp-events.md.", "",
             "The last column says whether every `{Field}` of the rule's `explain` was present in",
             "every real record the rule matched (the check of its field names against real logs).",
             "",
             "| rule id | role | category | events | corpus files with a real instance (count) | explain fields |",
             "|---|---|---|---|---|---|"]
    fired = 0
    for path, r in sorted(rules, key=lambda pr: pr[0]):
        x = r.get("dropcause") or {}
        events = describe_events(r)
        h = hits.get(r["id"])
        if h:
            fired += 1
            files = "; ".join(f"`{p}` ({n})" for p, n in h.most_common(4))
            if len(h) > 4:
                files += f"; +{len(h) - 4} more files"
            total = f"**{sum(h.values())}** in {len(h)} file(s): {files}"
        else:
            total = "no corpus instance"
        if not h:
            fields = "-"
        elif unresolved.get(r["id"]):
            fields = "missing in some records: " + ", ".join(f"{k} ({n})" for k, n in unresolved[r["id"]].items())
        else:
            fields = "all present"
        lines.append(f"| `{r['id']}` | {x.get('role', '')} | {x.get('category') or ''} | {events} | {total} | {fields} |")
    lines += ["", f"{fired} of {len(rules)} rules match at least one real record.", ""]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return hits


def describe_events(r):
    det = r["detection"]
    provs, ids = [], []
    for k, v in det.items():
        if k == "condition" or k.startswith("filter"):
            continue
        for m in (v if isinstance(v, list) else [v]):
            if not isinstance(m, dict):
                continue
            p = m.get("Provider_Name")
            for x in (p if isinstance(p, list) else [p] if p else []):
                if x not in provs:
                    provs.append(x)
            i = m.get("EventID")
            for x in (i if isinstance(i, list) else [i] if i is not None else []):
                if x not in ids:
                    ids.append(x)
    short = [p.replace("Microsoft-Windows-", "") for p in provs]
    return f"{', '.join(short)} {', '.join(str(i) for i in ids)}".strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus")
    ap.add_argument("--corpus-root", default="/work/shared/corpus")
    ap.add_argument("--coverage", default=os.path.join(RULES, "COVERAGE.md"))
    args = ap.parse_args()
    rules = [(p, r) for p, r in load_rules() if not p.startswith("tools")]
    errors = lint(rules)
    for err in errors:
        print(err)
    print(f"{len(rules)} rules, {len(errors)} problems", file=sys.stderr)
    if args.corpus:
        hits = coverage(rules, args.corpus, args.corpus_root, args.coverage)
        for rid, h in sorted(hits.items()):
            print(f"{rid}: {sum(h.values())}", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
