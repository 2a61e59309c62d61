#include "validators/miappe/report.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "absl/strings/str_join.h"

namespace fairtrace::miappe {

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "INFO";
    case Severity::kWarning:
      return "WARNING";
    case Severity::kError:
      return "ERROR";
  }
  return "ERROR";
}

Finding ReaderFinding(const std::string& code, Severity severity, const std::string& section, const std::string& where,
                      std::string message, std::string hint) {
  Finding f;
  f.code = code;
  f.severity = severity;
  f.section = section;
  f.entity_id = where;
  f.location = where;
  f.message = std::move(message);
  f.hint = std::move(hint);
  return f;
}

int Report::Count(Severity s) const {
  return static_cast<int>(
      std::count_if(findings.begin(), findings.end(), [s](const Finding& f) { return f.severity == s; }) +
      omitted[static_cast<int>(s)]);
}

void Report::Compact() {
  if (findings.size() <= kMaxFindings) return;
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return static_cast<int>(a.severity) > static_cast<int>(b.severity);  // errors first
  });
  for (size_t i = kMaxFindings; i < findings.size(); ++i) ++omitted[static_cast<int>(findings[i].severity)];
  findings.resize(kMaxFindings);
  findings.shrink_to_fit();
}

nlohmann::json Report::ToJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const Finding& f : findings) {
    nlohmann::json j = {{"code", f.code},       {"severity", SeverityName(f.severity)},
                        {"section", f.section}, {"entity_id", f.entity_id},
                        {"field", f.field},     {"dm", f.dm},
                        {"value", f.value},     {"message", f.message},
                        {"hint", f.hint},       {"location", f.location}};
    if (!f.fixed.empty()) j["fixed"] = f.fixed;
    list.push_back(std::move(j));
  }
  nlohmann::json recognised = nullptr;
  if (!template_name.empty() || !reference_sheets.empty()) {
    recognised = {
        {"name", template_name}, {"miappe_version", template_version}, {"reference_sheets", reference_sheets}};
  }
  return {{"profile", profile},
          {"validator_version", validator_version},
          {"template", std::move(recognised)},
          {"ontologies", ontologies},
          {"errors", Count(Severity::kError)},
          {"warnings", Count(Severity::kWarning)},
          {"infos", Count(Severity::kInfo)},
          {"findings", std::move(list)}};
}

std::string Report::ToText() const {
  std::ostringstream out;
  out << (profile.empty() ? "MIAPPE (profile unknown)" : profile) << ": " << Count(Severity::kError) << " error(s), "
      << Count(Severity::kWarning) << " warning(s), " << Count(Severity::kInfo) << " info\n";
  if (!template_name.empty()) {
    out << "read as: the official " << template_name << " (MIAPPE " << template_version << ")\n";
  }
  if (!reference_sheets.empty()) {
    out << "template documentation, not read as data: " << absl::StrJoin(reference_sheets, ", ") << "\n";
  }
  for (const std::string& o : ontologies) out << "reference data: " << o << "\n";
  std::map<std::string, std::vector<const Finding*>> by_section;
  for (const Finding& f : findings) by_section[f.section.empty() ? "submission" : f.section].push_back(&f);
  for (auto& [section, list] : by_section) {
    std::stable_sort(list.begin(), list.end(),
                     [](const Finding* a, const Finding* b) { return a->severity > b->severity; });
    out << "\n== " << section << " (" << list.size() << ")\n";
    std::map<std::pair<std::string, std::string>, int> shown;
    for (const Finding* f : list) {
      int n = ++shown[{f->code, f->field}];
      if (n > 5) continue;
      out << "  " << SeverityName(f->severity) << " " << f->code;
      if (!f->entity_id.empty()) out << " [" << f->entity_id << "]";
      if (!f->field.empty()) out << " " << f->field << (f->dm.empty() || f->dm == "-" ? "" : " (" + f->dm + ")");
      out << ": " << f->message;
      if (!f->value.empty()) out << " — value \"" << f->value << "\"";
      if (!f->location.empty()) out << " at " << f->location;
      out << "\n";
      if (!f->hint.empty()) out << "      hint: " << f->hint << "\n";
      if (!f->fixed.empty()) out << "      fixed to: " << f->fixed << "\n";
    }
    for (const auto& [key, n] : shown) {
      if (n > 5) out << "  ... and " << (n - 5) << " more " << key.first << " on " << key.second << "\n";
    }
  }
  return out.str();
}

}  // namespace fairtrace::miappe
