"""Croissant 1.0 (MLCommons) JSON-LD metadata with PROV-O provenance."""

from __future__ import annotations

import json

import polars as pl

CROISSANT_CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
PARQUET = "application/x-parquet"
# The context every Croissant 1.0 file carries, plus the PROV-O namespace.
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "prov": "http://www.w3.org/ns/prov#",
}


def data_type(dtype: pl.DataType) -> tuple[str, bool]:
    """(Croissant dataType, repeated) of a Polars column type."""
    repeated = isinstance(dtype, pl.List)
    inner = dtype.inner if repeated else dtype
    if inner == pl.Boolean:
        kind = "sc:Boolean"
    elif inner.is_integer():
        kind = "sc:Integer"
    elif inner.is_float():
        kind = "sc:Float"
    elif inner.is_temporal():
        kind = "sc:Date" if inner == pl.Date else "sc:DateTime"
    else:
        kind = "sc:Text"
    return kind, repeated


def croissant(
    *,
    name: str,
    description: str,
    license: str,
    url: str,
    version: str,
    date_published: str,
    shards: list[dict],
    schema: pl.Schema,
    seed_sources: list[dict],
    generators: pl.DataFrame,
) -> dict:
    """The JSON-LD document. `shards`: {path, sha256, bytes}; `seed_sources`: {id, name,
    url, rows}; `generators`: the generators table rows that made the published rows."""
    fields = []
    for column, dtype in schema.items():
        kind, repeated = data_type(dtype)
        entry = {
            "@type": "cr:Field",
            "@id": f"default/{column}",
            "name": column,
            "dataType": kind,
            "source": {"fileSet": {"@id": "parquet-files"}, "extract": {"column": column}},
        }
        if repeated:
            entry["repeated"] = True
        fields.append(entry)
    distribution = [
        {
            "@type": "cr:FileObject",
            "@id": shard["path"],
            "name": shard["path"],
            "contentUrl": shard["path"],
            "contentSize": f"{shard['bytes']} B",
            "encodingFormat": PARQUET,
            "sha256": shard["sha256"],
        }
        for shard in shards
    ]
    distribution.append(
        {
            "@type": "cr:FileSet",
            "@id": "parquet-files",
            "name": "parquet-files",
            "containedIn": [{"@id": shard["path"]} for shard in shards],
            "encodingFormat": PARQUET,
            "includes": "data/*.parquet",
        }
    )
    activities = [
        {
            "@type": "prov:Activity",
            "@id": f"generator/{g['generator_id']}",
            "name": g["generator_id"],
            "description": f"{g['method']} via {g['backend']}",
            "prov:used": [
                {"@type": "prov:Entity", "@id": f"model/{g['model']}", "name": g["model"]}
                if g["model"]
                else None,
                {
                    "@type": "prov:Plan",
                    "@id": f"template/{g['template_name']}.v{g['template_version']}",
                    "name": g["template_name"],
                    "version": g["template_version"],
                    "sha256": g["template_sha256"],
                }
                if g["template_name"]
                else None,
            ],
            "additionalProperty": [
                {"@type": "PropertyValue", "name": "backend", "value": g["backend"]},
                {"@type": "PropertyValue", "name": "model_digest", "value": g["model_digest"]},
                {
                    "@type": "PropertyValue",
                    "name": "params",
                    "value": json.dumps(json.loads(g["params"] or "{}"), sort_keys=True),
                },
                {"@type": "PropertyValue", "name": "rows", "value": g["rows"]},
            ],
        }
        for g in generators.iter_rows(named=True)
    ]
    for activity in activities:
        activity["prov:used"] = [u for u in activity["prov:used"] if u is not None]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CROISSANT_CONFORMS_TO,
        "name": name,
        "description": description,
        "license": license,
        "url": url,
        "version": version,
        "datePublished": date_published,
        "distribution": distribution,
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": "default",
                "name": "default",
                "key": {"@id": "default/row_id"},
                "field": fields,
            }
        ],
        "prov:wasDerivedFrom": [
            {
                "@type": "prov:Entity",
                "@id": f"seed/{s['id']}",
                "name": s["name"],
                **({"url": s["url"]} if s.get("url") else {}),
                "additionalProperty": [
                    {"@type": "PropertyValue", "name": "seed_rows", "value": s["rows"]}
                ],
            }
            for s in seed_sources
        ],
        "prov:wasGeneratedBy": activities,
    }
