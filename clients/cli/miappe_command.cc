#include "clients/cli/miappe_command.h"

#include <iostream>

#include "validators/miappe/loader.h"
#include "validators/miappe/validator.h"

namespace fairtrace::cli {

MiappeCommand::MiappeCommand(CLI::App& app) {
  miappe_ = app.add_subcommand("miappe", "MIAPPE experiment metadata");
  miappe_->require_subcommand(1);
  validate_ = miappe_->add_subcommand("validate", "validate MIAPPE sheets offline (xlsx workbooks, TSV files or folders of them)");
  validate_->add_option("PATH", paths_, ".xlsx workbook, folder of sheets, or sheet files")->required();
  auto* strict = validate_->add_flag("--strict", strict_, "recommended fields become errors");
  validate_->add_flag("--lenient", lenient_, "fixable format errors become warnings, with the fix reported")
      ->excludes(strict);
}

int MiappeCommand::Run(bool json) {
  using namespace fairtrace::miappe;
  std::vector<Finding> pre;
  std::vector<InputFile> files = ReadSheetFiles(paths_, &pre);
  Submission sub = LoadSheets(files, Schema::Default(), &pre);
  ValidateOptions options;
  options.strictness = strict_ ? Strictness::kStrict : lenient_ ? Strictness::kLenient : Strictness::kDefault;
  Report report = Validate(sub, Schema::Default(), options, std::move(pre));
  if (json) {
    std::cout << report.ToJson().dump() << "\n";
  } else {
    std::cout << report.ToText();
  }
  return report.ok() ? 0 : 1;
}

}  // namespace fairtrace::cli
