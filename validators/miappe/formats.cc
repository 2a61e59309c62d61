#include "validators/miappe/formats.h"

#include <cmath>
#include <cstdlib>

#include <re2/re2.h>
#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/text/utf8.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe {

extern const char kIso3166Json[];

namespace {

struct Emitter {
  const FieldRule& rule;
  const std::string& value;
  const FormatOptions& options;
  std::vector<Finding>* out;

  void Add(const char* code, Severity sev, std::string message, std::string hint = "", std::string fixed = "") {
    Finding f;
    f.code = code;
    f.severity = sev;
    f.section = rule.section;
    f.field = rule.codename;
    f.dm = rule.dm;
    f.value = text::ClipText(value, 200);
    f.message = std::move(message);
    f.hint = std::move(hint);
    f.fixed = std::move(fixed);
    out->push_back(std::move(f));
  }
  // An ERROR that lenient mode downgrades to a WARNING with its fix.
  void Fixable(const char* code, std::string message, std::string hint, std::string fixed) {
    Add(code, options.lenient ? Severity::kWarning : Severity::kError, std::move(message), std::move(hint),
        options.lenient ? std::move(fixed) : "");
  }
};

// Patterns are matched with RE2: linear time, no recursion, whatever the
// cell holds (std::regex recursed once per character and overflowed the
// stack on a 30 KB value). One compiled RE2 per pattern literal.
const RE2& Re(const char* pattern) {
  // Per thread, so that the millions of matches of a large submission take
  // no lock (an RE2 is cheap; a validating thread compiles each pattern once).
  thread_local absl::flat_hash_map<const char*, std::unique_ptr<RE2>> cache;
  auto& slot = cache[pattern];
  if (slot == nullptr) slot = std::make_unique<RE2>(pattern);
  return *slot;
}

bool Matches(const std::string& s, const char* pattern) { return RE2::FullMatch(s, Re(pattern)); }

std::string Trim(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

// ---- text hygiene --------------------------------------------------------

void CheckText(Emitter& e) {
  for (char c : e.value) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      e.Add("FMT-TEXT", Severity::kError, "control character in the text", "remove non-printing characters");
      return;
    }
  }
  std::string t = Trim(e.value);
  for (const char* lit : {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"}) {
    if (t == lit) {
      e.Add("FMT-TEXT", Severity::kError, absl::StrCat("spreadsheet error literal ", lit),
            "the spreadsheet formula behind this cell failed; type the value itself");
      return;
    }
  }
}

// ---- identifiers ---------------------------------------------------------

bool CheckWhitespace(Emitter& e) {
  std::string t = Trim(e.value);
  if (t != e.value) {
    e.Fixable("FMT-WHITESPACE", "leading or trailing whitespace in an identifier",
              "remove the spaces: identifiers are compared exactly", t);
    return false;
  }
  if (e.value.find_first_of("\t\n\r") != std::string::npos) {
    e.Add("FMT-WHITESPACE", Severity::kError, "tab or line break inside an identifier", "identifiers are one line");
    return false;
  }
  return true;
}

// ---- dates ----------------------------------------------------------------

std::string SerialToIso(int64_t serial) {
  absl::CivilDay d = absl::CivilDay(1899, 12, 30) + serial;
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

void CheckDate(Emitter& e, const std::string& raw) {
  std::string v = Trim(raw);
  int64_t serial;
  if (absl::SimpleAtoi(v, &serial) && serial >= 20000 && serial <= 60000) {
    e.Fixable("FMT-DATE-EXCEL-SERIAL",
              absl::StrCat("\"", v, "\" is an Excel date serial, not a date (it means ", SerialToIso(serial), ")"),
              absl::StrCat("format the cell as text and write the ISO 8601 date ", SerialToIso(serial)),
              SerialToIso(serial));
    return;
  }
  if (Matches(v, R"(\d{4}(-\d{2})?)")) {
    e.Add("FMT-DATE", Severity::kWarning, "reduced precision date (year or year-month only)",
          "give the full date YYYY-MM-DD when it is known");
    return;
  }
  if (Matches(v, R"(\d{1,2}[/.]\d{1,2}[/.]\d{4})") || Matches(v, R"(\d{4}/\d{1,2}/\d{1,2})")) {
    e.Add("FMT-DATE", Severity::kError, "not an ISO 8601 date (day/month order is ambiguous)",
          "write dates as YYYY-MM-DD, e.g. 2012-05-14");
    return;
  }
  if (!Matches(v, R"(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?)")) {
    e.Add("FMT-DATE", Severity::kError, "not an ISO 8601 date", "write dates as YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ");
    return;
  }
  if (!ParseIsoDay(v)) {
    e.Add("FMT-DATE", Severity::kError, "no such calendar date", "check day and month");
  }
}

// ---- places -------------------------------------------------------------

struct Countries {
  absl::flat_hash_map<std::string, std::string> alpha2;  // "FR" -> "FR"
  absl::flat_hash_map<std::string, std::string> other;   // "FRA", "france" -> "FR"
};

const Countries& CountryTable() {
  static const Countries* table = [] {
    auto* c = new Countries();
    nlohmann::json j = nlohmann::json::parse(kIso3166Json, nullptr, false);
    for (const auto& e : j.value("3166-1", nlohmann::json::array())) {
      std::string a2 = e.value("alpha_2", "");
      c->alpha2[a2] = a2;
      c->other[e.value("alpha_3", "")] = a2;
      for (const char* k : {"name", "common_name", "official_name"}) {
        if (e.contains(k)) c->other[absl::AsciiStrToLower(e.value(k, ""))] = a2;
      }
    }
    return c;
  }();
  return *table;
}

}  // namespace

std::string CountryAlpha2(absl::string_view value) {
  std::string v(absl::StripAsciiWhitespace(value));
  const Countries& c = CountryTable();
  std::string upper = absl::AsciiStrToUpper(v);
  if (c.alpha2.contains(upper)) return upper;
  auto it = c.other.find(upper);
  if (it == c.other.end()) it = c.other.find(absl::AsciiStrToLower(v));
  return it == c.other.end() ? "" : it->second;
}

namespace {

void CheckCountry(Emitter& e) {
  std::string v = Trim(e.value);
  if (CountryTable().alpha2.contains(absl::AsciiStrToUpper(v))) return;
  if (std::string a2 = CountryAlpha2(v); !a2.empty()) {
    e.Add("FMT-COUNTRY", Severity::kWarning, "a country name or alpha-3 code where ISO 3166-1 alpha-2 is preferred",
          absl::StrCat("use \"", a2, "\""), a2);
    return;
  }
  e.Add("FMT-COUNTRY", Severity::kError, "not an ISO 3166-1 country", "use the two-letter code, e.g. FR, NL, JP");
}

void CheckCoordinate(Emitter& e, double limit) {
  std::string v = Trim(e.value);
  if (Matches(v, R"([+-]?\d{1,3},\d+)")) {
    std::string fixed = absl::StrReplaceAll(v, {{",", "."}});
    e.Fixable("FMT-DECIMAL-COMMA", "decimal comma in a coordinate", absl::StrCat("use a point: ", fixed), fixed);
    return;
  }
  if (!Matches(v, R"([+-]?\d{1,3}(\.\d+)?)")) {
    e.Add("FMT-LATLON", Severity::kError, "not signed decimal degrees",
          "write e.g. 43.61 or -8.73 (no degrees-minutes-seconds, no N/E suffix)");
    return;
  }
  double d = std::strtod(v.c_str(), nullptr);
  if (std::fabs(d) > limit) {
    e.Add("FMT-LATLON", Severity::kError, absl::StrCat("out of range [-", limit, ", ", limit, "]"),
          limit == 90 ? "latitude and longitude may be swapped" : "");
    return;
  }
  size_t dot = v.find('.');
  if (dot != std::string::npos && v.size() - dot - 1 > 8) {
    e.Add("FMT-LATLON", Severity::kInfo, "more than 8 decimals (a float artefact)", "round to 6 decimals or fewer");
  }
}

void CheckAltitude(Emitter& e, bool uncertainty) {
  std::string v = Trim(e.value);
  std::string number;
  if (Matches(v, R"(-?\d+(\.\d+)?\s+m)")) {
    number = v.substr(0, v.find_first_of(" \t"));
  } else if (Matches(v, R"(-?\d+(\.\d+)?m)")) {
    e.Add("FMT-ALTITUDE", Severity::kInfo, "no space between number and unit", "write e.g. \"110 m\"",
          absl::StrCat(v.substr(0, v.size() - 1), " m"));
    number = v.substr(0, v.size() - 1);
  } else if (Matches(v, R"(-?\d+(\.\d+)?)")) {
    e.Add("FMT-ALTITUDE", Severity::kWarning, "a bare number, read as metres", "add the unit: \"97 m\"",
          absl::StrCat(v, " m"));
    number = v;
  } else {
    e.Add("FMT-ALTITUDE", Severity::kWarning, "not a number in metres", "write e.g. \"100 m\"");
    return;
  }
  double d = std::strtod(number.c_str(), nullptr);
  if (uncertainty ? d < 0 : (d < -500 || d > 9000)) {
    e.Add("FMT-ALTITUDE", Severity::kWarning, uncertainty ? "negative uncertainty" : "implausible altitude",
          uncertainty ? "" : "altitudes lie between -500 m and 9000 m");
  }
}

// ---- terms and identifiers of the outside world ------------------------

// Known ontology prefixes and the pattern of their local ids.
const std::vector<std::pair<const char*, std::string>>& TermPatterns() {
  static const auto* p = new std::vector<std::pair<const char*, std::string>>{
      {R"(CO_\d{3}:\d{7})", "Crop Ontology"},
      {R"((PO|TO|PATO|EO|PECO|UO|OBI|EFO):\d{7})", "OBO"},
      {R"(GAZ:\d{8})", "GAZ"},
      {R"(XEO:\d{5})", "XEO"},
      {R"(ENVO:\d{8})", "ENVO"},
      {R"((NCBITAXON|NCBITaxon):\d+)", "NCBI Taxonomy"},
  };
  return *p;
}

// PURL http://purl.obolibrary.org/obo/PO_0025034 -> PO:0025034.
std::string PurlToCurie(const std::string& v) {
  std::string prefix, local;
  if (RE2::FullMatch(v, Re(R"(https?://purl\.obolibrary\.org/obo/([A-Za-z]+)_(\d+))"), &prefix, &local)) {
    return absl::StrCat(prefix, ":", local);
  }
  return "";
}

void CheckCurie(Emitter& e, const char* expect = nullptr) {
  std::string v = Trim(e.value);
  if (std::string curie = PurlToCurie(v); !curie.empty()) {
    e.Add("FMT-CURIE", Severity::kInfo, "an OBO PURL, normalised to its CURIE", "", curie);
    v = curie;
  }
  for (const auto& [pattern, name] : TermPatterns()) {
    if (Matches(v, pattern)) {
      if (expect != nullptr && !absl::StartsWith(v, expect)) {
        e.Add("VOC-SUBTREE", Severity::kError, absl::StrCat("expected a ", expect, " term"),
              "use a term of the vocabulary this field requires");
      }
      return;
    }
  }
  std::string prefix, local;
  if (RE2::FullMatch(v, Re(R"((CO_\d{3}|PO|TO|PATO|EO|PECO|XEO|ENVO)_(\d+))"), &prefix, &local)) {
    std::string fixed = absl::StrCat(prefix, ":", local);
    e.Fixable("FMT-CURIE", "underscore where the CURIE needs a colon", absl::StrCat("write ", fixed), fixed);
    return;
  }
  if (RE2::FullMatch(v, Re(R"(([A-Za-z][A-Za-z0-9_]*):[A-Za-z0-9_.-]+)"), &prefix)) {
    e.Add("VOC-PRIVATE", Severity::kWarning,
          absl::StrCat("prefix \"", text::ClipText(prefix, 40),
                       "\" is not a known public ontology; the term cannot be resolved"),
          "use a Crop Ontology, PO, TO, PATO, EO/PECO or XEO term where one exists");
    return;
  }
  if (Matches(v, R"(https?://\S+)")) return;  // a term URI of another ontology
  e.Add("FMT-CURIE", Severity::kError, "not an ontology term (CURIE such as CO_715:0000145, or a term URI)",
        "write PREFIX:ID");
}

void CheckTaxon(Emitter& e) {
  std::string v = Trim(e.value);
  if (Matches(v, R"((NCBITAXON|NCBITaxon):\d+)")) return;
  if (Matches(v, R"((NCBI|taxon):\d+)")) {
    std::string fixed = absl::StrCat("NCBITAXON:", v.substr(v.find(':') + 1));
    e.Add("FMT-CURIE", Severity::kInfo, "old taxon prefix, normalised", absl::StrCat("write ", fixed), fixed);
    return;
  }
  if (Matches(v, R"(https?://purl\.obolibrary\.org/obo/NCBITaxon_\d+)")) return;
  if (Matches(v, R"(\d+)")) {
    e.Fixable("FMT-CURIE", "a bare taxon number without its NCBITAXON prefix",
              absl::StrCat("write NCBITAXON:", text::ClipText(v, 40)), absl::StrCat("NCBITAXON:", v));
    return;
  }
  e.Add("FMT-CURIE", Severity::kError, "not an NCBI Taxonomy id", "write e.g. NCBITAXON:4577 (Zea mays)");
}

void CheckDoi(Emitter& e, const std::string& v) {
  if (Matches(absl::AsciiStrToLower(v), R"((doi:|https?://(dx\.)?doi\.org/)?10\.\d{4,9}/\S+)")) return;
  if (Matches(v, R"(\d{1,9})") || absl::StartsWithIgnoreCase(v, "pmid:")) {
    e.Add("FMT-DOI", Severity::kInfo, "a PubMed id where a DOI is preferred", "give the DOI when there is one");
    return;
  }
  e.Add("FMT-DOI", Severity::kError, "not a DOI", "write doi:10.xxxx/... or https://doi.org/10.xxxx/...");
}

void CheckUri(Emitter& e, bool file_allowed) {
  std::string v = Trim(e.value);
  if (Matches(v, R"([A-Za-z][A-Za-z0-9+.-]*://\S+)") || Matches(v, R"((doi|urn):\S+)")) return;
  if (file_allowed && v.find_first_of("\t\n") == std::string::npos) return;  // a submitted file's name
  e.Add("FMT-URI", Severity::kError, "not an absolute URI", "write e.g. https://doi.org/10.xxxx/...");
}

bool OrcidChecksumOk(const std::string& digits) {  // ISO 7064 MOD 11-2 over 15 digits + check
  int total = 0;
  for (size_t i = 0; i + 1 < digits.size(); ++i) total = (total + (digits[i] - '0')) * 2;
  int r = (12 - total % 11) % 11;
  char check = r == 10 ? 'X' : static_cast<char>('0' + r);
  return digits.back() == check;
}

// A person id is a ';'-separated list (the official example holds two
// ORCIDs). An item that claims to be an ORCID iD — it contains "orcid.org/",
// or the dddd-dddd-dddd-ddd(d|X) shape — must be a well-formed iD with a
// correct ISO 7064 check digit (ERROR otherwise). Other ids are allowed; an
// ORCID is recommended (one INFO when no item is one).
void CheckPersonId(Emitter& e) {
  bool any_orcid = false;
  for (absl::string_view raw : absl::StrSplit(e.value, ';')) {
    std::string item = Trim(std::string(raw));
    if (item.empty()) continue;
    std::string a, b, c, d;
    if (RE2::FullMatch(item, Re(R"((?:https?://)?orcid\.org/(\d{4})-(\d{4})-(\d{4})-(\d{3}[\dX]))"), &a, &b, &c, &d) ||
        RE2::FullMatch(item, Re(R"((\d{4})-(\d{4})-(\d{4})-(\d{3}[\dX]))"), &a, &b, &c, &d)) {
      any_orcid = true;
      if (!OrcidChecksumOk(a + b + c + d)) {
        e.Add("FMT-ORCID", Severity::kError, "ORCID checksum does not match: " + item,
              "check the digits of the ORCID iD");
      }
      continue;
    }
    const bool claims = RE2::PartialMatch(item, Re(R"((?i)orcid\.org/)")) ||
                        RE2::PartialMatch(item, Re(R"(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])"));
    if (claims) {
      any_orcid = true;
      e.Add("FMT-ORCID", Severity::kError, "not a well-formed ORCID iD: " + item,
            "write https://orcid.org/0000-0000-0000-000X (16 digits, the last may be X)");
    }
  }
  if (!any_orcid) {
    e.Add("FMT-ORCID", Severity::kInfo, "not an ORCID iD",
          "an ORCID (https://orcid.org/0000-0000-0000-000X) is recommended");
  }
}

const std::vector<std::string>& SpdxIds() {
  static const auto* ids = new std::vector<std::string>{"CC0-1.0",
                                                        "CC-BY-4.0",
                                                        "CC-BY-SA-4.0",
                                                        "CC-BY-NC-4.0",
                                                        "CC-BY-NC-SA-4.0",
                                                        "CC-BY-ND-4.0",
                                                        "CC-BY-NC-ND-4.0",
                                                        "CC-BY-3.0",
                                                        "CC-BY-SA-3.0",
                                                        "CC-BY-NC-3.0",
                                                        "CC-BY-NC-SA-3.0",
                                                        "CC-BY-2.0",
                                                        "ODbL-1.0",
                                                        "ODC-By-1.0",
                                                        "PDDL-1.0",
                                                        "etalab-2.0",
                                                        "MIT",
                                                        "Apache-2.0",
                                                        "GPL-3.0-only",
                                                        "LGPL-3.0-only",
                                                        "BSD-3-Clause"};
  return *ids;
}

void CheckLicense(Emitter& e) {
  std::string v = Trim(e.value);
  if (v == "Unreported") return;
  for (const std::string& id : SpdxIds()) {
    if (v == id) return;
  }
  // Human spellings and Creative Commons URLs -> SPDX.
  std::string key = absl::AsciiStrToUpper(v);
  std::string kind, version;
  if (RE2::FullMatch(key, Re(R"(HTTPS?://CREATIVECOMMONS\.ORG/LICENSES/([A-Z-]+)/(\d\.\d)/?)"), &kind, &version)) {
    key = absl::StrCat("CC-", kind, "-", version);
  }
  key = absl::StrReplaceAll(key, {{" ", "-"}, {"_", "-"}});
  for (const std::string& id : SpdxIds()) {
    if (absl::AsciiStrToUpper(id) == key) {
      e.Add("FMT-LICENSE", Severity::kInfo,
            absl::StrCat("licence written as \"", text::ClipText(v, 80), "\", normalised to SPDX ", id),
            absl::StrCat("write the SPDX id ", id), id);
      return;
    }
  }
  if (Matches(key, R"(CC-BY(-NC)?(-SA|-ND)?)")) {
    e.Add("FMT-LICENSE", Severity::kWarning, "a Creative Commons licence without its version",
          "add the version, e.g. CC-BY-NC-4.0");
    return;
  }
  e.Add("FMT-LICENSE", Severity::kWarning, "not a known licence id", "use an SPDX id such as CC-BY-4.0, or Unreported");
}

void CheckList(Emitter& e, const std::string& v, int min_items) {
  std::vector<std::string> items = SplitList(v);
  for (const std::string& i : items) {
    if (i.empty()) {
      e.Add("FMT-LIST", Severity::kError, "empty item in a list", "separate items with \"; \" and no empty items");
      return;
    }
  }
  if (static_cast<int>(items.size()) < min_items) {
    e.Add("PRE-CARDINALITY", Severity::kError, absl::StrCat("needs at least ", min_items, " items, has ", items.size()),
          "list the levels separated by \";\"");
  }
}

void CheckKv(Emitter& e, const std::string& v) {
  for (const auto& [k, val] : SplitPairs(v)) {
    if (k.empty() || val.empty()) {
      e.Add("FMT-KV", Severity::kError, "not a list of key:value pairs", "write e.g. block:1; plot:894");
      return;
    }
  }
}

void CheckHierarchy(Emitter& e, const std::string& v) {
  std::vector<std::string> levels;
  for (absl::string_view l : absl::StrSplit(v, '>')) levels.push_back(absl::AsciiStrToLower(Trim(l)));
  for (size_t i = 0; i < levels.size(); ++i) {
    if (levels[i].empty()) {
      e.Add("FMT-HIERARCHY", Severity::kError, "empty level", "write levels coarsest first: field>block>plot>plant");
      return;
    }
    for (size_t j = 0; j < i; ++j) {
      if (levels[j] == levels[i]) {
        e.Add("FMT-HIERARCHY", Severity::kError, absl::StrCat("level \"", levels[i], "\" appears twice (a cycle)"),
              "each level appears once, coarsest first");
        return;
      }
    }
  }
}

void CheckInfraspecific(Emitter& e, const std::string& v) {
  static const char* kRanks[] = {"subspecies", "cultivar", "variety", "subvariety", "convariety", "group",
                                 "subgroup",   "hybrid",   "line",    "form",       "subform",    "subsp.",
                                 "convar.",    "var.",     "f.",      "cv."};
  bool all_ranked = true;
  for (const auto& [k, val] : SplitPairs(v)) {
    bool known = false;
    for (const char* r : kRanks) known = known || absl::EqualsIgnoreCase(k, r);
    all_ranked = all_ranked && known && !val.empty();
  }
  if (all_ranked) return;
  // MCPD inline style: "subsp. vinifera cv. Pinot Noir".
  if (Matches(v, R"(.*\b(subsp\.|convar\.|var\.|f\.|cv\.|Group)\s+\S.*)")) return;
  if (e.options.profile == Profile::k1_1) {
    e.Add("FMT-INFRASPECIFIC", Severity::kInfo, "free text (allowed in MIAPPE 1.1)",
          "MIAPPE 1.2 wants rank:value pairs, e.g. cultivar:Iodent; line:11430");
  } else {
    e.Add("FMT-INFRASPECIFIC", Severity::kWarning, "free text, not rank:value pairs",
          "write e.g. cultivar:Irish Cobbler, or MCPD style \"subsp. vinifera cv. Pinot Noir\"");
  }
}

void CheckMatSource(Emitter& e, const std::string& v) {
  if (Matches(v, R"([^:\s][^:]*:.+)") || Matches(v, R"(.+ X (.+|UNKNOWN))")) return;
  e.Add("FMT-MATSOURCE", Severity::kInfo, "not INSTITUTE:ACCESSION nor a cross", "write e.g. INRA:101-74");
}

void CheckOuType(Emitter& e, const std::string& v) {
  std::string t = absl::AsciiStrToLower(Trim(v));
  static const char* kRecommended[] = {"study", "block", "sub-block", "plot", "sub-plot", "pot", "plant"};
  static const char* kLegacy[] = {"trial",      "sample",        "replication", "replicate",
                                  "individual", "virtual_trial", "unit-parcel"};
  static const char* kBrapi[] = {"field", "entry", "rep"};
  static const char* kSubPlant[] = {"leaf",   "ear",    "root", "organ", "seed",    "fruit",
                                    "flower", "tiller", "stem", "spike", "panicle", "tuber"};
  for (const char* s : kRecommended) {
    if (t == s) {
      if (Trim(v) != t) {
        e.Add("VOC-OUTYPE", Severity::kInfo, "observation unit types are lowercase", absl::StrCat("write ", t), t);
      }
      return;
    }
  }
  for (const char* s : kSubPlant) {
    if (t == s) {
      e.Add("SEM-SUBPLANT", Severity::kError, "a sub-plant observation unit",
            "use Samples for organs, or name the organ in the observed variable");
      return;
    }
  }
  for (const char* s : kBrapi) {
    if (t == s) {
      e.Add("VOC-OUTYPE", Severity::kInfo, "a BrAPI level, not one of MIAPPE's recommended types",
            "MIAPPE recommends study, block, sub-block, plot, sub-plot, pot, plant");
      return;
    }
  }
  for (const char* s : kLegacy) {
    if (t == s) {
      e.Add("VOC-OUTYPE", Severity::kWarning, "a type of the original MIAPPE 1.1 list, dropped in 1.1.2",
            "use study, block, sub-block, plot, sub-plot, pot or plant");
      return;
    }
  }
  e.Add("VOC-OUTYPE", Severity::kWarning, "not a recommended observation unit type",
        "use study, block, sub-block, plot, sub-plot, pot or plant");
}

void CheckAnatomy(Emitter& e, bool stage) {
  std::string v = Trim(e.value);
  if (stage && Matches(v, R"(BBCH[- ]?\d{2})")) return;
  CheckCurie(e, "PO:");
}

}  // namespace

std::optional<absl::CivilDay> ParseIsoDay(absl::string_view value) {
  std::string v = Trim(value);
  if (v.size() < 10 || v[4] != '-' || v[7] != '-') return std::nullopt;
  int y, m, d;
  if (!absl::SimpleAtoi(v.substr(0, 4), &y) || !absl::SimpleAtoi(v.substr(5, 2), &m) ||
      !absl::SimpleAtoi(v.substr(8, 2), &d)) {
    return std::nullopt;
  }
  absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) return std::nullopt;  // normalised: no such date
  return day;
}

std::vector<std::string> SplitList(absl::string_view value, bool comma_fallback) {
  char sep = value.find(';') != absl::string_view::npos || !comma_fallback ? ';' : ',';
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(value, sep)) out.push_back(Trim(item));
  return out;
}

std::vector<std::pair<std::string, std::string>> SplitPairs(absl::string_view value) {
  std::vector<std::pair<std::string, std::string>> out;
  char sep = value.find(';') != absl::string_view::npos ? ';' : ',';
  for (absl::string_view item : absl::StrSplit(value, sep, absl::SkipWhitespace())) {
    size_t colon = item.find(':');
    if (colon == absl::string_view::npos) {
      out.emplace_back(Trim(item), "");
    } else {
      out.emplace_back(Trim(item.substr(0, colon)), Trim(item.substr(colon + 1)));
    }
  }
  return out;
}

void CheckFormat(const FieldRule& rule, const std::string& value, const FormatOptions& options,
                 std::vector<Finding>* out) {
  Emitter e{rule, value, options, out};
  CheckText(e);
  const std::string& f = rule.format;
  using K = FormatKind;
  // Lists (of references, dates, DOIs, key:value pairs) and free text may be
  // long; one value of a single-value format may not.
  const bool unbounded = rule.kind == K::kText || rule.kind == K::kTextNa || rule.kind == K::kIdList ||
                         rule.kind == K::kDateList || rule.kind == K::kDoiList || rule.kind == K::kList ||
                         rule.kind == K::kKv || rule.kind == K::kHierarchy || rule.kind == K::kInfraspecific ||
                         rule.kind == K::kMatSource || rule.kind == K::kStudyRefs || rule.kind == K::kBmRefs ||
                         rule.kind == K::kOuRefs;
  if (value.size() > kMaxFormattedValueBytes && !unbounded) {
    e.Add("FMT-TOO-LONG", Severity::kError,
          absl::StrCat("a ", f, " value of ", value.size(), " bytes; at most ", kMaxFormattedValueBytes),
          "this field holds a short value (an identifier, date, term or URI)");
    return;
  }
  std::string v = Trim(value);
  switch (rule.kind) {
    case K::kId:
      CheckWhitespace(e);
      break;
    case K::kIdList:
      CheckList(e, v, 1);
      break;
    case K::kDate:
      CheckDate(e, value);
      break;
    case K::kDateList:
      for (const std::string& d : SplitList(v)) CheckDate(e, d);
      break;
    case K::kCountry:
      CheckCountry(e);
      break;
    case K::kLatitude:
      CheckCoordinate(e, 90);
      break;
    case K::kLongitude:
      CheckCoordinate(e, 180);
      break;
    case K::kAltitude:
    case K::kUncertainty:
      CheckAltitude(e, rule.kind == K::kUncertainty);
      break;
    case K::kCurie:
      CheckCurie(e);
      break;
    case K::kCo715Design:
    case K::kCo715Facility:
    case K::kCo715Event:
      CheckCurie(e, "CO_715:");
      break;
    case K::kTaxon:
      if (CheckWhitespace(e)) CheckTaxon(e);
      break;
    case K::kDoi:
      CheckDoi(e, v);
      break;
    case K::kDoiList:
      for (const std::string& d : SplitList(v)) CheckDoi(e, d);
      break;
    case K::kUri:
      CheckUri(e, false);
      break;
    case K::kUriOrFile:
      CheckUri(e, true);
      break;
    case K::kEmail:
      if (!Matches(v, R"([^@\s]+@[^@\s]+\.[A-Za-z]{2,})")) {
        e.Add("FMT-EMAIL", Severity::kError, "not an e-mail address", "write name@example.org");
      }
      break;
    case K::kPersonId:
      CheckPersonId(e);
      break;
    case K::kLicense:
      CheckLicense(e);
      break;
    case K::kVersion:
      if (!Matches(v, R"(\d+(\.\d+){0,2})")) {
        e.Add("FMT-VERSION", Severity::kError, "not a version number", "write 1.1 or 1.2");
      }
      break;
    case K::kList:
      CheckList(e, v, rule.card == "2+" ? 2 : 1);
      break;
    case K::kKv:
      CheckKv(e, v);
      break;
    case K::kHierarchy:
      CheckHierarchy(e, v);
      break;
    case K::kInfraspecific:
      CheckInfraspecific(e, v);
      break;
    case K::kMatSource:
      CheckMatSource(e, v);
      break;
    case K::kOuType:
      CheckOuType(e, value);
      break;
    case K::kDevStage:
    case K::kPoAnatomy:
      CheckAnatomy(e, rule.kind == K::kDevStage);
      break;
    case K::kStudyRefs:
    case K::kBmRefs:
    case K::kOuRefs:
      CheckList(e, v, 1);
      break;
    case K::kText:
    case K::kTextNa:
      break;
  }
  // "text" and "text_na": hygiene only (above).
}

}  // namespace fairtrace::miappe
