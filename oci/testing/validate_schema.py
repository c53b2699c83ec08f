#!/usr/bin/env python3
"""Validates JSON documents against the OCI image-spec JSON schemas (draft-04).

Usage: validate_schema.py SCHEMA_DIR ENTRY_SCHEMA=FILE [ENTRY_SCHEMA=FILE ...]
  e.g. validate_schema.py .../oci-image-spec/schema image-manifest-schema.json=/tmp/m.json

All schema files are registered under their file names, their `id`s and the opencontainers.org
alias URLs, and any other http(s) URL is answered by its last path segment (the file name), so the
sibling `$ref`s resolve offline and nothing is fetched. Prints one line per document; exits 1 if any
document is invalid, 2 on usage errors.
"""
import json
import os
import sys

import jsonschema

BASE = "https://opencontainers.org/schema/"


def load_store(schema_dir):
    store = {}
    for name in sorted(os.listdir(schema_dir)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
            schema = json.load(f)
        urls = [name, "file://" + os.path.join(os.path.abspath(schema_dir), name),
                BASE + name, BASE + "image/" + name, BASE + "image/descriptor/" + name]
        if "id" in schema:
            urls.append(schema["id"])
        for url in urls:
            store[url] = schema
    return store


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema_dir = argv[1]
    store = load_store(schema_dir)
    failures = 0
    for arg in argv[2:]:
        entry, _, path = arg.partition("=")
        schema = store[entry]
        base_uri = schema.get("id", "file://" + os.path.join(os.path.abspath(schema_dir), entry))
        # Any other URL (nested `id`s change the resolution scope) is served by file name, offline.
        by_name = lambda url: store[url.split("#")[0].rstrip("/").rsplit("/", 1)[-1]]
        resolver = jsonschema.RefResolver(base_uri, schema, store=store,
                                          handlers={"https": by_name, "http": by_name})
        validator = jsonschema.Draft4Validator(
            schema, resolver=resolver, format_checker=jsonschema.draft4_format_checker)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            failures += 1
            for e in errors:
                where = "/".join(str(p) for p in e.path)
                print(f"INVALID {path} ({entry}) at /{where}: {e.message}")
        else:
            print(f"VALID {path} ({entry})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
