"""drf-spectacular postprocessing hook: the files that ``?format=`` answers.

An operation whose ``format`` query parameter offers ``csv``, ``xlsx``, ``html`` or
``pdf`` also answers 200 with that file; the schema says so next to its JSON.
"""

from . import tabular

FILE_CONTENT = {
    tabular.CSV: ("text/csv", {"type": "string"}),
    tabular.XLSX: (tabular.CONTENT_TYPES[tabular.XLSX], {"type": "string", "format": "binary"}),
    "html": ("text/html", {"type": "string"}),
    "pdf": ("application/pdf", {"type": "string", "format": "binary"}),
}


def document_file_formats(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method != "get":
                continue
            formats = next((p.get("schema", {}).get("enum", [])
                            for p in operation.get("parameters", [])
                            if p.get("in") == "query" and p.get("name") == "format"), [])
            ok = operation.get("responses", {}).get("200")
            if ok is None:
                continue
            content = ok.setdefault("content", {})
            for fmt in formats:
                if fmt in FILE_CONTENT:
                    media_type, schema = FILE_CONTENT[fmt]
                    content.setdefault(media_type, {"schema": schema})
    return result
