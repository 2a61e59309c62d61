#include "validators/miappe/isatab_map.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "validators/miappe/schema.h"

namespace fairtrace::miappe {

extern const char kIsatabTsv[];

absl::StatusOr<IsaMap> IsaMap::Parse(absl::string_view tsv) {
  IsaMap map;
  int line = 0;
  bool header = true;
  for (absl::string_view row : absl::StrSplit(tsv, '\n')) {
    ++line;
    if (row.empty() || row[0] == '#') continue;
    if (header) {  // column titles
      header = false;
      continue;
    }
    std::vector<std::string> cells = absl::StrSplit(row, '\t');
    if (cells.size() != 5 || cells[0].empty() || cells[1].empty() || cells[2].empty() || cells[3].empty() ||
        (cells[4] != "yes" && cells[4] != "no")) {
      return absl::InvalidArgumentError(
          absl::StrCat("isatab.tsv line ", line, ": want section, codename, place, label, yes|no"));
    }
    IsaField f{cells[0], cells[1], cells[2], cells[3], cells[4] == "yes"};
    std::string key = absl::StrCat(f.place, "/", NormalizeHeader(f.label));
    if (map.by_label_.contains(key)) {
      return absl::InvalidArgumentError(absl::StrCat("isatab.tsv line ", line, ": label given twice at ", f.place));
    }
    map.by_label_[key] = map.fields_.size();
    map.fields_.push_back(std::move(f));
  }
  return map;
}

const IsaMap& IsaMap::Default() {
  static const IsaMap* map = [] {
    absl::StatusOr<IsaMap> m = Parse(kIsatabTsv);
    if (!m.ok()) {
      std::cerr << "fairtrace: the embedded ISA-Tab map is invalid: " << m.status() << "\n";
      std::abort();
    }
    return new IsaMap(*std::move(m));
  }();
  return *map;
}

const IsaField* IsaMap::Find(absl::string_view place, absl::string_view label) const {
  auto it = by_label_.find(absl::StrCat(place, "/", NormalizeHeader(label)));
  return it == by_label_.end() ? nullptr : &fields_[it->second];
}

std::vector<const IsaField*> IsaMap::Written(absl::string_view place) const {
  std::vector<const IsaField*> out;
  for (const IsaField& f : fields_) {
    if (f.write && f.place == place) out.push_back(&f);
  }
  return out;
}

const IsaField* IsaMap::WrittenFor(absl::string_view place, absl::string_view codename) const {
  for (const IsaField& f : fields_) {
    if (f.write && f.place == place && f.codename == codename) return &f;
  }
  return nullptr;
}

}  // namespace fairtrace::miappe
