"""Decodes PNG files with zxing-cpp and prints one JSON line per file:
its symbology identifier, format and text (GS as \\u001d), or an error."""
import json
import sys

try:
    import zxingcpp
    from PIL import Image
except ImportError as e:
    print(json.dumps({"missing": str(e)}))
    sys.exit(3)

for path in sys.argv[1:]:
    found = zxingcpp.read_barcodes(Image.open(path), text_mode=zxingcpp.TextMode.Plain)
    print(json.dumps({
        "file": path,
        "found": [{"id": b.symbology_identifier, "format": str(b.format), "text": b.text} for b in found],
    }))
