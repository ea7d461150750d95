"""docassets: legal PDFs into text, chunks, entities, resolved entities and an entity graph."""

import sys

# PyMuPDF 2.0 imports its optional layout analysis (and with it onnxruntime) on every
# `import pymupdf`: seconds of imports in every run process, for a feature docassets does not
# use. PyMuPDF treats the module as absent when importing it fails.
sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]  # None blocks an import; typeshed omits it
