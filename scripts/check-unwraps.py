#!/usr/bin/env python3
"""Fails on the patterns that turn a vanished row or a client's odd input into a crash
(SECURITY.md 16): force unwraps, `try!`, `as!`, `first!` and `rows[0]` in Sources/.

A force unwrap of a constructor given only a string literal (`HTTPField.Name("X-Request-Id")!`)
is allowed: it is a constant, checked by the first request of any test. Comments and string
literals (including SQL in triple-quoted strings) are not code and are skipped."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PATTERNS = [
    (re.compile(r"\btry!"), "try!"),
    (re.compile(r"\bas!"), "as!"),
    (re.compile(r"\brows\[0\]"), "rows[0]"),
    (re.compile(r"[\w)\]]!(?!=)"), "force unwrap"),
]
LITERAL_CONSTANT = re.compile(r'\(""\)!')


def code_only(text):
    """The text with comments and string contents blanked (newlines kept), but with the code
    of string interpolations kept, so `"\\(name!)"` inside SQL is still seen."""
    out = []
    i, n = 0, len(text)
    # A stack of contexts: "code" (with its paren depth, for interpolations) or a string.
    stack = [["code", 0]]
    while i < n:
        kind = stack[-1][0]
        c = text[i]
        if kind == "code":
            if text.startswith("//", i):
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if text.startswith("/*", i):
                j = text.find("*/", i + 2)
                blanked = text[i:(n if j < 0 else j + 2)]
                out.append("".join(ch if ch == "\n" else " " for ch in blanked))
                i = n if j < 0 else j + 2
                continue
            if text.startswith('"""', i):
                stack.append(["block", 0]); out.append('"""'); i += 3; continue
            if c == '"':
                stack.append(["line", 0]); out.append('"'); i += 1; continue
            if c == "(":
                stack[-1][1] += 1
            elif c == ")" and len(stack) > 1 and stack[-1][1] == 0:
                stack.pop(); out.append(")"); i += 1; continue
            elif c == ")":
                stack[-1][1] -= 1
            out.append(c); i += 1; continue
        # inside a string
        if text.startswith("\\(", i):
            stack.append(["code", 0]); out.append("\\("); i += 2; continue
        if c == "\\":
            out.append("  "); i += 2; continue
        if kind == "block" and text.startswith('"""', i):
            stack.pop(); out.append('"""'); i += 3; continue
        if kind == "line" and c == '"':
            stack.pop(); out.append('"'); i += 1; continue
        out.append("\n" if c == "\n" else " "); i += 1
    return "".join(out)


def code_lines(text):
    for number, line in enumerate(code_only(text).splitlines(), 1):
        yield number, re.sub(r'"\s*"', '""', line)


def main():
    found = []
    for path in sorted((ROOT / "Sources").rglob("*.swift")):
        for number, code in code_lines(path.read_text(encoding="utf-8")):
            code = LITERAL_CONSTANT.sub('("")', code)
            for pattern, name in PATTERNS:
                if pattern.search(code):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {name}: {code.strip()}")
    if found:
        print("check-unwraps: a row can vanish and a client can send anything; use guard/throw instead:", file=sys.stderr)
        print("\n".join(found), file=sys.stderr)
        return 1
    print("check-unwraps: no force unwraps, try!, as! or rows[0] in Sources/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
