"""Compile the paper bundle's tables and macros with pdflatex; report what does not fit.

:func:`check_bundle` (``python -m valueaudit.latexcheck results/paper``) builds a plain
``article`` that inputs the package preamble (:func:`valueaudit.tables.preamble_path`),
``macros.tex`` (typesetting every macro once) and every table in ``tables/``, one table
per page, and compiles it twice with pdflatex: with the default (OT1) font encoding and
with ``\\usepackage[T1]{fontenc}``. A LaTeX error, an overfull box wider than 1 pt, a
float too large for the page or a missing glyph is a problem, reported with the table
it comes from.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .tables import preamble_path

__all__ = ["Problem", "pdflatex", "check_document", "check_bundle", "main", "ENCODINGS"]

#: font encodings every table must compile under (None: LaTeX's default, OT1)
ENCODINGS: tuple[str | None, ...] = (None, "T1")
_BEGIN, _END = "<<valueaudit-begin:", "<<valueaudit-end:"
_OVERFULL = re.compile(r"^Overfull \\([hv])box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)(.*)")
_FLOAT = re.compile(r"Float too large for page by (\d+(?:\.\d+)?)pt")
_MACRO = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}")


@dataclass(frozen=True)
class Problem:
    source: str      # the table (file name), "macros" or "document"
    encoding: str    # "OT1" or "T1"
    kind: str        # "error", "overfull", "float too large", "missing character", "no output"
    detail: str

    def __str__(self) -> str:
        return f"{self.source} [{self.encoding}]: {self.kind}: {self.detail}"


def pdflatex() -> str | None:
    """The pdflatex executable on ``PATH``, or None."""
    return shutil.which("pdflatex")


def _document(tables: Sequence[str], macros: str | None, macro_names: Sequence[str],
              fontenc: str | None) -> str:
    lines = [r"\documentclass{article}"]
    if fontenc:
        lines.append(rf"\usepackage[{fontenc}]{{fontenc}}")
    lines += [r"\input{paper_preamble}", r"\tracinglostchars=2", r"\begin{document}"]
    if macros:
        lines += [rf"\typeout{{{_BEGIN}macros>>}}", rf"\input{{{macros}}}",
                  r"{\raggedright\sloppy"]
        lines += [rf"\texttt{{{n}}}: \{n}\par" for n in macro_names]
        lines += [r"}", r"\clearpage", rf"\typeout{{{_END}macros>>}}"]
    for i, t in enumerate(tables):
        lines += [rf"\typeout{{{_BEGIN}{i}>>}}", rf"\input{{{t}}}", r"\clearpage",
                  rf"\typeout{{{_END}{i}>>}}"]
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def _parse_log(text: str, names: dict[str, str], encoding: str,
               tolerance_pt: float) -> list[Problem]:
    out: list[Problem] = []
    current = "document"
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(_BEGIN):
            current = names.get(line[len(_BEGIN):].rstrip(">"), "document")
            continue
        if line.startswith(_END):
            current = "document"
            continue
        if line.startswith("! "):
            context = " ".join(x.strip() for x in lines[i + 1:i + 3] if x.strip())
            out.append(Problem(current, encoding, "error", f"{line[2:]} {context}".strip()))
        elif m := _OVERFULL.match(line):
            if float(m.group(2)) > tolerance_pt:
                out.append(Problem(current, encoding, "overfull",
                                   f"\\{m.group(1)}box {m.group(2)}pt too "
                                   f"{'wide' if m.group(1) == 'h' else 'high'}{m.group(3)}"))
        elif m := _FLOAT.search(line):
            out.append(Problem(current, encoding, "float too large", f"by {m.group(1)}pt"))
        elif line.startswith("Missing character"):
            out.append(Problem(current, encoding, "missing character", line))
    return out


def check_document(tables: Sequence[str | Path], macros: str | Path | None = None,
                   fontenc: str | None = None, tolerance_pt: float = 1.0,
                   workdir: str | Path | None = None, timeout: float = 600,
                   preamble: str | Path | None = None) -> list[Problem]:
    """Compile one document with ``tables`` (and ``macros``) twice; return its problems.

    ``preamble``: the file the document inputs (default: the package's,
    :func:`valueaudit.tables.preamble_path`). Raises RuntimeError when pdflatex is
    not installed.
    """
    exe = pdflatex()
    if exe is None:
        raise RuntimeError("pdflatex not found on PATH (Debian: apt-get install "
                           "texlive-latex-recommended)")
    encoding = fontenc or "OT1"
    with tempfile.TemporaryDirectory(prefix="valueaudit-latex-") as tmp:
        work = Path(workdir) if workdir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(preamble or preamble_path(), work / "paper_preamble.tex")
        names: dict[str, str] = {}
        inputs = []
        for i, t in enumerate(tables):
            dst = work / f"table{i:03d}.tex"
            shutil.copyfile(t, dst)
            names[str(i)] = Path(t).name
            inputs.append(dst.stem)
        macro_names: list[str] = []
        if macros is not None:
            shutil.copyfile(macros, work / "macros.tex")
            names["macros"] = Path(macros).name
            macro_names = [m.group(1) for line in
                           Path(macros).read_text(encoding="utf-8").splitlines()
                           if (m := _MACRO.match(line))]
        (work / "main.tex").write_text(
            _document(inputs, "macros" if macros is not None else None, macro_names, fontenc),
            encoding="utf-8")
        env = {**os.environ, "max_print_line": "100000", "error_line": "254",
               "half_error_line": "238"}
        for _ in range(2):  # longtable settles its column widths on the second run
            subprocess.run([exe, "-interaction=nonstopmode", "-no-shell-escape", "main.tex"],
                           cwd=work, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=timeout, check=False)
        log_path = work / "main.log"
        if not log_path.exists():
            return [Problem("document", encoding, "no output", "pdflatex wrote no log")]
        problems = _parse_log(log_path.read_text(encoding="utf-8", errors="replace"), names,
                              encoding, tolerance_pt)
        if not (work / "main.pdf").exists():
            problems.append(Problem("document", encoding, "no output", "pdflatex wrote no PDF"))
        return problems


def check_bundle(paper_dir: str | Path, tolerance_pt: float = 1.0,
                 encodings: Sequence[str | None] = ENCODINGS) -> tuple[int, list[Problem]]:
    """Check ``paper_dir``/macros.tex and every ``paper_dir``/tables/*.tex under each
    encoding, with the bundle's ``paper_preamble.tex`` if it has one (else the
    package's); return the number of tables and the problems."""
    paper_dir = Path(paper_dir)
    tables = sorted((paper_dir / "tables").glob("*.tex"))
    macros = paper_dir / "macros.tex"
    own = paper_dir / "paper_preamble.tex"
    problems: list[Problem] = []
    for enc in encodings:
        problems += check_document(tables, macros if macros.exists() else None, enc,
                                   tolerance_pt, preamble=own if own.exists() else None)
    return len(tables), problems


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m valueaudit.latexcheck", description=__doc__
                                 .split("\n\n")[0])
    ap.add_argument("paper_dir", nargs="?", default="results/paper",
                    help="the paper bundle (with tables/ and macros.tex)")
    ap.add_argument("--tolerance", type=float, default=1.0,
                    help="largest overfull box accepted, pt (default 1)")
    args = ap.parse_args(argv)
    if pdflatex() is None:
        print("latexcheck: pdflatex not found on PATH (Debian: apt-get install "
              "texlive-latex-recommended)", file=sys.stderr)
        return 2
    if not (Path(args.paper_dir) / "tables").is_dir():
        print(f"latexcheck: {args.paper_dir}/tables not found: build the paper bundle first",
              file=sys.stderr)
        return 2
    n, problems = check_bundle(args.paper_dir, args.tolerance)
    bad = sorted({p.source for p in problems})
    for p in problems:
        print(p)
    print(f"latexcheck: {n} tables and the macros, encodings "
          f"{', '.join(e or 'OT1' for e in ENCODINGS)}: "
          + (f"{len(bad)} source(s) with {len(problems)} problem(s)" if problems else "all clean"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
