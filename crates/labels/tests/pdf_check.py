"""Reads a PDF with pypdf (pages, sizes, text) and renders each page with
PyMuPDF at 300 dpi for zxing-cpp; prints one JSON document."""
import json
import sys

import pymupdf
import pypdf
import zxingcpp
from PIL import Image

path = sys.argv[1]
reader = pypdf.PdfReader(path)
pages = []
doc = pymupdf.open(path)
for number, page in enumerate(reader.pages):
    box = page.mediabox
    pix = doc[number].get_pixmap(dpi=300, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pix.width, pix.height), pix.samples)
    found = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
    pages.append({
        "width_pt": float(box.width),
        "height_pt": float(box.height),
        "text": page.extract_text(),
        "barcodes": sorted([[b.symbology_identifier, b.text] for b in found]),
    })
print(json.dumps({"pages": pages}))
