#!/usr/bin/env python3
"""Fails when a test sleeps to wait for something (ARCHITECTURE.md, Testing: "none sleeps to
wait"; STYLE habit 10: wait on the event or drive time with a clock).

A sleep in test code is one of:
- a poll interval: inside a `loop`, `while` or `for` body (a wait for a condition with a
  deadline, or a peer that paces what it serves);
- virtual time: in a test on a paused clock (`start_paused = true`, `tokio::time::pause()`),
  where a sleep advances time and waits for nothing;
- part of a helper (a slow job, a slow server): not directly in a `#[test]` function;
- a fixed sleep directly in a test function: a wait for something to happen, which makes the
  test slow or flaky. These fail the check unless listed in EXCEPTIONS below with a reason
  (documented in ARCHITECTURE.md); an exception that no longer matches fails too, so the list
  shrinks as tests are mended.

Test code is every file under crates/*/tests/, a `tests.rs` or `tests/` module under
crates/*/src, and what follows `#[cfg(test)]` in other source files.

Usage: scripts/check-test-sleeps.py [--self-test]
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from module_cycles.lexing import strip_source  # noqa: E402

# (file relative to the repository, the sleep's line text stripped) -> why it is allowed.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("crates/app/tests/it/e2e/faults/ticks.rs", "tokio::time::sleep(OUTAGE).await;"):
        "the database outage itself: its length is what the test is about",
    ("crates/persistence/tests/resilience/timeouts.rs",
     "tokio::time::sleep(Duration::from_millis(150)).await;"):
        "the statement must be in flight before the proxy freezes the server; nothing observable "
        "says it has reached the server",
}

SLEEP = re.compile(r"\b(?:thread::sleep|time::sleep|sleep)\s*\(")
TEST_ATTR = re.compile(r"#\[\s*(?:tokio::)?test\b[^\]]*\]")
PAUSED = re.compile(r"start_paused\s*=\s*true|time::pause\s*\(")


def test_regions(rel: str, text: str) -> list[tuple[int, int]]:
    """Character ranges of `text` that are test code."""
    parts = rel.split(os.sep)
    if "tests" in parts[2:3] or os.path.basename(rel) == "tests.rs" or "tests" in parts[3:-1]:
        return [(0, len(text))]
    m = re.search(r"#\[cfg\(test\)\]", text)
    return [(m.start(), len(text))] if m else []


def blocks(code: str):
    """For each opening brace: (position, header text before it, matching close position)."""
    out, stack = [], []
    last_stop = 0
    for i, c in enumerate(code):
        if c == "{":
            header = code[last_stop:i]
            stack.append((i, header))
            last_stop = i + 1
        elif c == "}":
            if stack:
                start, header = stack.pop()
                out.append((start, header, i))
            last_stop = i + 1
        elif c == ";":
            last_stop = i + 1
    return out


def violations(root: str, rel: str):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        text = f.read()
    code = strip_source(text)
    regions = test_regions(rel, code)
    if not regions:
        return []
    lines = text.split("\n")
    found = []
    all_blocks = blocks(code)
    for m in SLEEP.finditer(code):
        pos = m.start()
        if not any(a <= pos < b for a, b in regions):
            continue
        enclosing = sorted((b for b in all_blocks if b[0] < pos < b[2]), key=lambda b: b[0])
        # The innermost function around the sleep, and the blocks between it and the sleep.
        fn_index = None
        for k in range(len(enclosing) - 1, -1, -1):
            if re.search(r"\bfn\s+\w+", enclosing[k][1]):
                fn_index = k
                break
        if fn_index is None:
            continue
        fn_start, fn_header, fn_end = enclosing[fn_index]
        inner = enclosing[fn_index + 1:]
        if any(re.search(r"\b(?:loop|while|for)\b", h) for _, h, _ in inner):
            continue  # a poll interval
        # The attributes of the function: the header text back to the previous item.
        attrs = code[max(0, fn_start - len(fn_header) - 400):fn_start]
        attrs = attrs[attrs.rfind("}") + 1:]
        if not TEST_ATTR.search(attrs):
            continue  # a helper: a slow job or server, not a wait in the test itself
        if PAUSED.search(attrs) or PAUSED.search(code[fn_start:pos]):
            continue  # virtual time
        line_no = code.count("\n", 0, pos) + 1
        found.append((rel, line_no, lines[line_no - 1].strip()))
    return found


def test_files(root: str):
    crates = os.path.join(root, "crates")
    for crate in sorted(os.listdir(crates)):
        for sub in ("tests", "src"):
            base = os.path.join(crates, crate, sub)
            for folder, _, files in sorted(os.walk(base)):
                for name in sorted(files):
                    if name.endswith(".rs"):
                        yield os.path.relpath(os.path.join(folder, name), root)


def check(root: str, exceptions) -> int:
    bad, used = [], set()
    for rel in test_files(root):
        for rel_, line_no, line in violations(root, rel):
            key = (rel_, line)
            if key in exceptions:
                used.add(key)
                continue
            bad.append(f"{rel_}:{line_no}: {line}")
    stale = [k for k in exceptions if k not in used]
    for line in bad:
        print(f"test sleeps: a fixed sleep waits in a test (poll for the condition, or drive a "
              f"clock): {line}", file=sys.stderr)
    for rel, line in stale:
        print(f"test sleeps: the exception no longer matches (remove it): {rel}: {line}",
              file=sys.stderr)
    if bad or stale:
        return 1
    print(f"test sleeps: none waits ({len(exceptions)} documented exceptions)")
    return 0


def self_test() -> int:
    toy = {
        "crates/x/tests/it.rs": (
            "#[tokio::test]\nasync fn waits() {\n    start();\n"
            "    tokio::time::sleep(Duration::from_millis(500)).await;\n    check();\n}\n"
            "#[tokio::test]\nasync fn polls() {\n    loop {\n"
            "        if done() { break; }\n        tokio::time::sleep(ms(10)).await;\n    }\n}\n"
            "#[tokio::test(start_paused = true)]\nasync fn virtual_time() {\n"
            "    tokio::time::sleep(Duration::from_secs(60)).await;\n}\n"
            "async fn slow_peer() {\n    tokio::time::sleep(ms(100)).await;\n}\n"
            "// tokio::time::sleep(ms(1)) in a comment\n"),
        "crates/x/src/lib.rs": (
            "fn prod() { std::thread::sleep(d); }\n#[cfg(test)]\nmod tests {\n"
            "    #[test]\n    fn waits_too() {\n        std::thread::sleep(d);\n    }\n}\n"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for rel, body in toy.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), "w", encoding="utf-8") as f:
                f.write(body)
        found = [v for rel in test_files(tmp) for v in violations(tmp, rel)]
        lines = sorted((rel, n) for rel, n, _ in found)
        want = [("crates/x/src/lib.rs", 6), ("crates/x/tests/it.rs", 4)]
        ok = lines == want
        print(f"self-test: {'ok' if ok else 'FAILED'} (found {lines}, want {want})")
        return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--self-test"]:
        sys.exit(self_test())
    sys.exit(check(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."), EXCEPTIONS))
