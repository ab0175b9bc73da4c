#!/usr/bin/env python3
"""Writes the ISO code lists the GS1 linters check against.

Run with pycountry installed (pip install pycountry==26.2.16). The output
files are checked in; nothing runs this at build time.
"""
import pathlib
import pycountry

here = pathlib.Path(__file__).parent

def write(name, header, codes):
    lines = [f"# {line}" for line in header] + sorted(set(codes))
    (here / name).write_text("\n".join(lines) + "\n")

source = f"pycountry {pycountry.__version__ if hasattr(pycountry, '__version__') else ''}".strip()
write("iso3166-numeric.txt", [f"ISO 3166-1 numeric country codes, from {source}."],
      [c.numeric for c in pycountry.countries])
write("iso3166-alpha2.txt", [f"ISO 3166-1 alpha-2 country codes, from {source}."],
      [c.alpha_2 for c in pycountry.countries])
# GS1's dictionary release 2026-01-27 still accepts the Bulgarian lev (975),
# withdrawn from ISO 4217 when Bulgaria joined the euro on 2026-01-01: goods
# priced in BGN stay in circulation, so the code is kept here too.
write("iso4217-numeric.txt", [f"ISO 4217 numeric currency codes, from {source},",
                              "plus 975 (BGN), which GS1 still accepts after its withdrawal."],
      [c.numeric for c in pycountry.currencies] + ["975"])
