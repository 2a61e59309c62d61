#include "validators/miappe/testing/template_copy.h"

#include <zip.h>

#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace fairtrace::miappe::testing {
namespace {

std::string XmlEscape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// The value of attribute `name` in the tag starting at `pos`.
std::string AttrAt(const std::string& xml, size_t pos, const std::string& name) {
  const size_t end = xml.find('>', pos);
  const size_t a = xml.find(absl::StrCat(" ", name, "=\""), pos);
  if (a == std::string::npos || a > end) return "";
  const size_t v = a + name.size() + 3;
  return xml.substr(v, xml.find('"', v) - v);
}

int ColumnOf(const std::string& ref) {
  int col = 0;
  for (char c : ref) {
    if (c < 'A' || c > 'Z') break;
    col = col * 26 + (c - 'A' + 1);
  }
  return col - 1;
}

// The end (one past) of the element starting at `pos` named `tag`: its
// "/>" or its closing tag.
size_t ElementEnd(const std::string& xml, size_t pos, const std::string& tag) {
  const size_t gt = xml.find('>', pos);
  if (xml[gt - 1] == '/') return gt + 1;
  const std::string close = absl::StrCat("</", tag, ">");
  return xml.find(close, pos) + close.size();
}

}  // namespace

std::string CellRef(int col0, int row) {
  std::string col;
  for (int c = col0 + 1; c > 0; c = (c - 1) / 26) col.insert(col.begin(), static_cast<char>('A' + (c - 1) % 26));
  return absl::StrCat(col, row);
}

TemplateCopy TemplateCopy::Open(const std::string& path) {
  TemplateCopy t;
  int err = 0;
  zip_t* in = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (in == nullptr) {
    ADD_FAILURE() << "cannot open " << path;
    return t;
  }
  for (zip_int64_t i = 0; i < zip_get_num_entries(in, 0); ++i) {
    zip_stat_t st;
    zip_stat_index(in, i, 0, &st);
    std::string data(st.size, '\0');
    zip_file_t* f = zip_fopen_index(in, i, 0);
    zip_fread(f, data.data(), st.size);
    zip_fclose(f);
    t.order_.push_back(st.name);
    t.parts_[st.name] = std::move(data);
  }
  zip_close(in);
  return t;
}

std::string TemplateCopy::SheetPart(const std::string& sheet) const {
  const std::string& wb = parts_.at("xl/workbook.xml");
  const size_t at = wb.find(absl::StrCat("name=\"", XmlEscape(sheet), "\""));
  if (at == std::string::npos) {
    ADD_FAILURE() << "no sheet " << sheet;
    return "";
  }
  const size_t tag = wb.rfind('<', at);
  const std::string rid = AttrAt(wb, tag, "r:id");
  const std::string& rels = parts_.at("xl/_rels/workbook.xml.rels");
  const size_t rel = rels.find(absl::StrCat("Id=\"", rid, "\""));
  const std::string target = AttrAt(rels, rels.rfind('<', rel), "Target");
  return target[0] == '/' ? target.substr(1) : absl::StrCat("xl/", target);
}

TemplateCopy& TemplateCopy::Edit(const std::string& part, const std::function<void(std::string&)>& edit) {
  if (!parts_.contains(part)) order_.push_back(part);
  edit(parts_[part]);
  return *this;
}

TemplateCopy& TemplateCopy::Set(const std::string& sheet, const std::string& ref, const std::string& text) {
  const std::string part = SheetPart(sheet);
  if (part.empty()) return *this;
  std::string& xml = parts_[part];
  int row = 0;
  absl::SimpleAtoi(ref.substr(ref.find_first_of("0123456789")), &row);
  const int col = ColumnOf(ref);
  // The sheet data: make it an open element.
  if (size_t empty = xml.find("<sheetData/>"); empty != std::string::npos) {
    xml.replace(empty, 12, "<sheetData></sheetData>");
  }
  const size_t data_end = xml.find("</sheetData>");
  // Find the row, or where it goes.
  size_t pos = xml.find("<row ", xml.find("<sheetData"));
  while (pos != std::string::npos && pos < data_end) {
    int r = 0;
    absl::SimpleAtoi(AttrAt(xml, pos, "r"), &r);
    if (r >= row) break;
    pos = xml.find("<row ", ElementEnd(xml, pos, "row"));
  }
  int here = 0;
  if (pos != std::string::npos && pos < data_end) absl::SimpleAtoi(AttrAt(xml, pos, "r"), &here);
  if (pos == std::string::npos || pos >= data_end || here != row) {
    xml.insert(pos == std::string::npos || pos > data_end ? data_end : pos,
               absl::StrCat("<row r=\"", row, "\"></row>"));
    pos = xml.find(absl::StrCat("<row r=\"", row, "\""), xml.find("<sheetData"));
  }
  // A self-closing row gets a body.
  size_t gt = xml.find('>', pos);
  if (xml[gt - 1] == '/') {
    xml.replace(gt - 1, 2, "></row>");
    gt = xml.find('>', pos);
  }
  const size_t row_end = xml.find("</row>", pos);
  std::string style;
  size_t c = xml.find("<c ", gt);
  while (c != std::string::npos && c < row_end) {
    const int cc = ColumnOf(AttrAt(xml, c, "r"));
    if (cc >= col) break;
    c = xml.find("<c ", ElementEnd(xml, c, "c"));
  }
  size_t insert_at = c == std::string::npos || c > row_end ? row_end : c;
  if (insert_at != row_end && ColumnOf(AttrAt(xml, c, "r")) == col) {
    style = AttrAt(xml, c, "s");
    xml.erase(c, ElementEnd(xml, c, "c") - c);
  }
  xml.insert(insert_at,
             absl::StrCat("<c r=\"", CellRef(col, row), "\"", style.empty() ? "" : " s=\"" + style + "\"",
                          " t=\"inlineStr\"><is><t xml:space=\"preserve\">", XmlEscape(text), "</t></is></c>"));
  return *this;
}

TemplateCopy& TemplateCopy::SetRow(const std::string& sheet, int row, int col0,
                                   const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i].empty()) Set(sheet, CellRef(col0 + static_cast<int>(i), row), values[i]);
  }
  return *this;
}

TemplateCopy& TemplateCopy::ClearRows(const std::string& sheet, int first, int last) {
  const std::string part = SheetPart(sheet);
  if (part.empty()) return *this;
  std::string& xml = parts_[part];
  for (int r = first; r <= last; ++r) {
    const size_t pos = xml.find(absl::StrCat("<row r=\"", r, "\""));
    if (pos != std::string::npos) xml.erase(pos, ElementEnd(xml, pos, "row") - pos);
  }
  return *this;
}

std::string TemplateCopy::Bytes() const {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_t* out = zip_open_from_source(src, ZIP_TRUNCATE, &error);
  if (out == nullptr) {
    ADD_FAILURE() << "libzip: " << zip_error_strerror(&error);
    return "";
  }
  zip_source_keep(src);
  for (const std::string& name : order_) {
    const std::string& data = parts_.at(name);
    zip_source_t* s = zip_source_buffer(out, data.data(), data.size(), 0);
    zip_file_add(out, name.c_str(), s, ZIP_FL_OVERWRITE);
  }
  zip_close(out);
  std::string bytes;
  zip_source_open(src);
  zip_stat_t st;
  zip_source_stat(src, &st);
  bytes.resize(st.size);
  zip_source_read(src, bytes.data(), st.size);
  zip_source_close(src);
  zip_source_free(src);
  zip_error_fini(&error);
  return bytes;
}

}  // namespace fairtrace::miappe::testing
