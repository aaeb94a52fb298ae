#!/usr/bin/env python3
"""Lists the functions in src/ longer than a number of lines (80) or taking
more than a number of parameters (5), so that they can be split or their
length explained.

    scripts/long-fns.py [--lines N] [--params N] [--skip FILE]... [ROOT]

A function whose body is preceded (within its doc and attribute lines) by a
comment starting `// Long:` is listed as justified, not as a finding. The
exit status is 1 when anything unjustified is found. Counting is by lines
from the `fn` line to its closing brace; closures and nested functions
count toward the function that holds them.
"""

import argparse
import pathlib
import re
import sys

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?"
                r"(?:extern\s+\"[^\"]*\"\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)")


def strip(line):
    """The line without a trailing `//` comment and with string contents blanked."""
    out, i, quote = [], 0, False
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                quote = False
                out.append(c)
        elif c == '"':
            quote = True
            out.append(c)
        elif line.startswith("//", i):
            break
        elif c == "'" and i + 2 < len(line) and line[i + 2] == "'":
            out.append("' '")
            i += 3
            continue
        elif c == "'" and line.startswith("'\\", i):
            end = line.find("'", i + 2)
            if end > 0:
                out.append("' '")
                i = end + 1
                continue
            out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def params(signature):
    """How many parameters the signature between its parentheses takes."""
    name = re.search(r"\bfn\s+[A-Za-z_][A-Za-z0-9_]*", signature)
    start = signature.find("(", name.end() if name else 0)
    depth, cur, count, seen = 0, "", 0, False
    for c in signature[start:]:
        if c in "(<[{":
            depth += 1
            if depth == 1:
                continue
        elif c in ")>]}":
            if c == ">" and cur.endswith("-"):
                cur += c
                continue
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and c == ",":
            count += 1 if cur.strip() else 0
            cur = ""
            continue
        cur += c
        seen = True
    if seen and cur.strip():
        count += 1
    return count


def functions(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    code = [strip(line) for line in lines]
    i = 0
    while i < len(lines):
        m = FN.match(code[i])
        if not m:
            i += 1
            continue
        justified = False
        j = i - 1
        while j >= 0 and (lines[j].strip().startswith(("///", "#[", "//")) or not lines[j].strip()):
            if lines[j].strip().startswith("// Long:"):
                justified = True
            if not lines[j].strip():
                break
            j -= 1
        # The signature runs to the first `{` or `;` at depth 0.
        sig, k, depth = "", i, 0
        body_open = None
        while k < len(code):
            for c in code[k]:
                sig += c
                if c in "([<":
                    depth += 1
                elif c in ")]>" and not sig.endswith("->"):
                    depth -= 1
                elif c == "{" and depth <= 0:
                    body_open = k
                    break
                elif c == ";" and depth <= 0:
                    break
            if body_open is not None or sig.rstrip().endswith(";"):
                break
            k += 1
        if body_open is None:
            i = k + 1
            continue
        braces, end = 0, body_open
        for n in range(body_open, len(code)):
            braces += code[n].count("{") - code[n].count("}")
            if braces <= 0 and n >= body_open:
                end = n
                break
        yield m.group(1), i + 1, end - i + 1, params(sig), justified
        i += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=80)
    ap.add_argument("--params", type=int, default=5)
    ap.add_argument("--skip", action="append", default=[], help="a file to leave out (repeatable)")
    ap.add_argument("root", nargs="?", default="src")
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    skip = {pathlib.Path(s).as_posix() for s in args.skip}
    found = 0
    for path in sorted(root.rglob("*.rs")):
        if path.as_posix() in skip:
            continue
        for name, line, length, count, justified in functions(path):
            if length > args.lines or count > args.params:
                state = "justified" if justified else "LONG"
                if not justified:
                    found += 1
                print(f"{state:9} {path}:{line}: {name}: {length} lines, {count} parameters")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
