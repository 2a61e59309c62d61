// Croissant 1.0 JSON-LD (MLCommons; docs/datasets.md, "Croissant") of a
// dataset version: the datasheet as schema.org/Croissant dataset fields,
// one cr:FileObject per file (contentUrl, encodingFormat, contentSize,
// sha256), and one cr:RecordSet "items" whose inline data holds each item's
// path, blob sha256, links, acquisition fields, attributes and item digest
// (keyed by the fields' @ids; empty values left out). Every @id is absolute
// (base_iri + resource name).
//
// Written as it goes, in pieces of about `chunk` bytes, so that a version of
// a million items never sits in memory as one document. Pure; thread-safe.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "fairtrace/v1/datasets.pb.h"

namespace fairtrace::datasets {

// Calls `each` once per item of the version, by path, until it returns
// false; may be called more than once (the document lists the files, then
// the records).
using ItemSource = std::function<absl::Status(const std::function<bool(const v1::Item&)>& each)>;

// Sends the document to `out` in pieces (out returns false: stop, the
// reader went away; that is not an error).
absl::Status WriteCroissant(const v1::Dataset& dataset, const v1::DatasetVersion& version, const std::string& base_iri,
                            const ItemSource& items, const std::function<bool(absl::string_view)>& out,
                            size_t chunk = size_t{1} << 20);

// The whole document as one string (tests, small versions).
std::string CroissantJsonLd(const v1::Dataset& dataset, const v1::DatasetVersion& version,
                            const std::vector<v1::Item>& items, const std::string& base_iri);

}  // namespace fairtrace::datasets
