"""ro-crate-metadata.json of a release, made with the `rocrate` package (RO-Crate 1.1).

The package stamps the root dataset with the clock (datePublished) and gives entities without
an id a random one; here every entity has an id and every date is the release's, so the same
release gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from kg.release.files import CREATOR, CREATOR_NAME, LICENSE_IRI, BundleFile, ReleaseInfo

CRATE_PATH = "ro-crate-metadata.json"
CRATE_VERSION = "1.1"  # the profile roc-validator checks it against (ro-crate-1.1)


def crate_metadata(info: ReleaseInfo, files: Sequence[BundleFile]) -> bytes:
    """The RO-Crate metadata of a release folder holding `files`."""
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    crate = ROCrate(version=CRATE_VERSION)
    root = crate.root_dataset
    creator = crate.add(
        ContextEntity(
            crate, str(CREATOR), properties={"@type": "Organization", "name": CREATOR_NAME}
        )
    )
    licence = crate.add(
        ContextEntity(
            crate,
            LICENSE_IRI,
            properties={
                "@type": "CreativeWork",
                "name": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
                "identifier": "CC-BY-4.0",
            },
        )
    )
    root["name"] = info.title
    root["description"] = info.description
    root["datePublished"] = info.date.isoformat()  # not the clock: the release's date
    root["version"] = info.version
    root["identifier"] = info.iri
    root["url"] = info.iri
    root["license"] = licence
    root["author"] = creator
    root["publisher"] = creator
    folders = sorted({f.path.rsplit("/", 1)[0] + "/" for f in files if "/" in f.path})
    for folder in folders:
        crate.add_dataset(
            dest_path=folder, properties={"name": f"{folder.rstrip('/')} of release {info.version}"}
        )
    for file in files:
        crate.add_file(
            dest_path=file.path,
            properties={
                "name": file.title,
                "encodingFormat": file.media_type,
                "contentSize": str(file.size),
                "url": info.url(file.path),
                "license": licence,
            },
        )
    return b"".join(chunk for _, chunk in crate.metadata.stream()) + b"\n"
