#include "validators/miappe/ontology.h"

#include <openssl/sha.h>

#include <algorithm>
#include <deque>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fairtrace::miappe {
namespace {

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string PrefixOf(const std::string& id) { return id.substr(0, id.find(':')); }

// "PO:0025131 ! plant anatomical entity" -> "PO:0025131".
std::string FirstToken(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  return std::string(v.substr(0, v.find_first_of(" \t!{")));
}

}  // namespace

Ontology Ontology::Parse(absl::string_view source, absl::string_view obo) {
  Ontology o;
  std::string ontology_name, data_version;
  OntologyTerm cur;
  bool in_term = false, header = true;
  auto flush = [&] {
    if (!in_term) return;
    if (cur.id.empty() || cur.id.find(':') == std::string::npos) {
      ++o.skipped_;
    } else {
      o.terms_[cur.id] = cur;
    }
    cur = OntologyTerm();
    in_term = false;
  };
  for (absl::string_view line : absl::StrSplit(obo, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty() || line[0] == '!') continue;
    if (line[0] == '[') {
      flush();
      header = false;
      in_term = line == "[Term]";
      continue;
    }
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      if (in_term) ++o.skipped_;
      continue;
    }
    absl::string_view tag = line.substr(0, colon);
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (header) {
      if (tag == "ontology") ontology_name = std::string(value);
      if (tag == "data-version") data_version = std::string(value);
      continue;
    }
    if (!in_term) continue;
    if (tag == "id") {
      cur.id = FirstToken(value);
    } else if (tag == "name") {
      cur.name = std::string(value);
    } else if (tag == "is_obsolete") {
      cur.obsolete = value == "true";
    } else if (tag == "is_a") {
      cur.parents.push_back(FirstToken(value));
    } else if (tag == "relationship") {
      std::vector<absl::string_view> parts = absl::StrSplit(value, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && parts[0] == "part_of") cur.parents.push_back(FirstToken(parts[1]));
    } else if (tag == "replaced_by") {
      cur.replaced_by.push_back(FirstToken(value));
    }
  }
  flush();
  absl::flat_hash_set<std::string> prefixes;
  for (const auto& [id, t] : o.terms_) prefixes.insert(PrefixOf(id));
  o.prefixes_.assign(prefixes.begin(), prefixes.end());
  std::sort(o.prefixes_.begin(), o.prefixes_.end());
  o.snapshot_ = absl::StrCat(ontology_name.empty() ? std::string(source) : ontology_name, " ",
                             data_version.empty() ? std::string(source) : data_version, " sha256:", Sha256Hex(obo));
  return o;
}

const OntologyTerm* Ontology::Find(const std::string& id) const {
  auto it = terms_.find(id);
  return it == terms_.end() ? nullptr : &it->second;
}

bool Ontology::IsA(const std::string& id, const std::string& ancestor) const {
  absl::flat_hash_set<std::string> seen;
  std::deque<std::string> queue = {id};
  while (!queue.empty()) {  // breadth first; `seen` makes cycles harmless
    std::string t = queue.front();
    queue.pop_front();
    if (t == ancestor) return true;
    if (!seen.insert(t).second) continue;
    if (const OntologyTerm* term = Find(t)) {
      for (const std::string& p : term->parents) queue.push_back(p);
    }
  }
  return false;
}

const Ontology* OntologySet::ForId(const std::string& id) const {
  std::string prefix = PrefixOf(id);
  for (const auto& o : all_) {
    if (std::find(o->prefixes().begin(), o->prefixes().end(), prefix) != o->prefixes().end()) return o.get();
  }
  return nullptr;
}

std::vector<std::string> OntologySet::Snapshots() const {
  std::vector<std::string> out;
  for (const auto& o : all_) out.push_back(o->snapshot());
  return out;
}

}  // namespace fairtrace::miappe
