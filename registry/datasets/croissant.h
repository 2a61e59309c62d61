// Croissant 1.0 JSON-LD (MLCommons; docs/datasets.md, "Croissant") of a
// dataset version: the datasheet as schema.org/Croissant dataset fields,
// one cr:FileObject per file (contentUrl, encodingFormat, contentSize,
// sha256), and one cr:RecordSet "items" whose inline data holds each item's
// path, blob sha256, links, acquisition fields, attributes and item digest.
// Every @id is absolute (base_iri + resource name). Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "fairtrace/v1/datasets.pb.h"

namespace fairtrace::datasets {

// `dataset`: the dataset (its datasheet); `version`; `items` by path.
std::string CroissantJsonLd(const v1::Dataset& dataset, const v1::DatasetVersion& version,
                            const std::vector<v1::Item>& items, const std::string& base_iri);

}  // namespace fairtrace::datasets
