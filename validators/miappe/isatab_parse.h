// ISA-Tab syntax (ISA-Tab 1.0 specification): the investigation file as
// sections of labelled rows, and the column structure of study, assay and
// trait-definition tables (nodes, their attributes and the Unit / Term
// Source REF / Term Accession Number qualifiers that follow an attribute).
// No MIAPPE meaning here: isatab_reader.h maps this onto a Submission.
//
// Never fails: structural problems are SYN-05 findings (an unknown section
// keyword, a row outside any section, a section given twice in one study, a
// qualifier with nothing to qualify, an unbalanced Term Source REF / Term
// Accession Number pair). Pure; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "validators/miappe/report.h"
#include "validators/miappe/tsv.h"

namespace fairtrace::miappe::isatab {

struct Row {
  std::string label;               // "Study Identifier", "Comment[Study Start Date]"
  std::vector<std::string> cells;  // the values after the label, trailing empty cells removed
  int line = 0;
  const std::string& Cell(size_t i) const;  // "" past the end
};

struct Section {
  std::string keyword;  // "STUDY CONTACTS"
  int line = 0;
  std::vector<Row> rows;
  // The row labelled `label` (compared ignoring case, spaces and
  // punctuation), or nullptr.
  const Row* Find(absl::string_view label) const;
  // Number of columns: the widest row.
  size_t Width() const;
};

// One STUDY block: its sections by keyword ("STUDY", "STUDY FACTORS", ...).
struct StudyBlock {
  int line = 0;
  std::map<std::string, Section> sections;
  const Section* Get(const std::string& keyword) const;
};

struct InvestigationFile {
  std::string name;
  std::map<std::string, Section> sections;  // ONTOLOGY SOURCE REFERENCE, INVESTIGATION, ...
  std::vector<StudyBlock> studies;
  const Section* Get(const std::string& keyword) const;
};

// Whether `data` starts (after blank and # lines) like an investigation file.
bool LooksLikeInvestigationFile(absl::string_view data);

InvestigationFile ParseInvestigationFile(absl::string_view name, absl::string_view data,
                                         std::vector<Finding>* findings);

// "Characteristics[Organism]" -> {"Characteristics", "Organism"}; a header
// without brackets gives {header, ""}.
struct Header {
  std::string kind;
  std::string name;
};
Header SplitHeader(absl::string_view header);

// The role of one column of a study / assay table.
struct Column {
  enum Kind {
    kNode,           // Source Name, Sample Name, Extract Name, Assay Name, Raw Data File, ...
    kProtocolRef,    // Protocol REF
    kAttribute,      // Characteristics[x], Factor Value[x], Parameter Value[x], Comment[x], Date, Performer, ...
    kUnit,           // Unit
    kTermSource,     // Term Source REF
    kTermAccession,  // Term Accession Number
  };
  Kind kind = kAttribute;
  std::string header;  // as written
  std::string type;    // node: "Source Name"; attribute: "Characteristics", "Parameter Value", "Comment", ...
  std::string name;    // attribute: the bracketed name
  int node = -1;       // attribute: the column of the node (or, for Parameter Value, the Protocol REF) it belongs to
  int unit = -1;       // attribute: its Unit column
  int source = -1;     // attribute or unit: its Term Source REF column
  int accession = -1;  // attribute or unit: its Term Accession Number column
};

// Analyses the header of `table` (rows[0]). `with_nodes` false (trait
// definition files): every column is an attribute, "Variable Name" too.
std::vector<Column> AnalyseColumns(const Table& table, std::vector<Finding>* findings, bool with_nodes = true);

// One attribute cell with its qualifiers.
struct Value {
  std::string text;                         // the cell
  std::string unit;                         // the unit's cell
  std::string source;                       // Term Source REF
  std::string accession;                    // Term Accession Number
  std::string unit_source, unit_accession;  // the unit's own term, when annotated
};
Value ValueAt(const std::vector<Column>& columns, const std::vector<std::string>& row, size_t column);

// The items of a ";"-separated list, trimmed, empty ones left out.
std::vector<std::string> SplitList(absl::string_view s);

// An ontology term accession as a CURIE where it is an OBO PURL or an
// EFO-style URL ending in PREFIX_ID ("http://purl.obolibrary.org/obo/PO_0000003"
// -> "PO:0000003"); otherwise the accession as given.
std::string AccessionToCurie(absl::string_view accession);

}  // namespace fairtrace::miappe::isatab
