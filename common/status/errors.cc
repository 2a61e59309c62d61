#include "common/status/errors.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"

namespace fairtrace {
namespace {

// Every string an error carries is valid UTF-8 and bounded, whatever request
// bytes it quotes: on the wire the details are proto3 `string`s, which
// protobuf refuses to parse (and clients to decode) when they hold invalid
// UTF-8.
std::string Safe(absl::string_view s, size_t max_code_points) { return text::BoundText(s, max_code_points); }

// The payload: a sequence of records "<tag>" followed by its strings, each
// string "<decimal length>:<bytes>". Tags: R reason, M key value, F field
// description, P type subject description, T type name.
void Put(std::string& out, absl::string_view s) { absl::StrAppend(&out, s.size(), ":", s); }

std::string Encode(const ErrorDetails& d) {
  std::string out;
  if (!d.reason.empty()) {
    out += 'R';
    Put(out, d.reason);
  }
  for (const auto& [k, v] : d.metadata) {
    out += 'M';
    Put(out, k);
    Put(out, v);
  }
  for (const auto& f : d.fields) {
    out += 'F';
    Put(out, f.field);
    Put(out, f.description);
  }
  for (const auto& p : d.preconditions) {
    out += 'P';
    Put(out, p.type);
    Put(out, p.subject);
    Put(out, p.description);
  }
  if (!d.resource_name.empty()) {
    out += 'T';
    Put(out, d.resource_type);
    Put(out, d.resource_name);
  }
  return out;
}

bool Take(absl::string_view& in, std::string* out) {
  size_t colon = in.find(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  size_t n = 0;
  auto [ptr, ec] = std::from_chars(in.data(), in.data() + colon, n);
  if (ec != std::errc() || ptr != in.data() + colon || n > in.size() - colon - 1) return false;
  *out = std::string(in.substr(colon + 1, n));
  in.remove_prefix(colon + 1 + n);
  return true;
}

std::optional<ErrorDetails> Decode(absl::string_view in) {
  ErrorDetails d;
  while (!in.empty()) {
    char tag = in[0];
    in.remove_prefix(1);
    bool ok = true;
    switch (tag) {
      case 'R':
        ok = Take(in, &d.reason);
        break;
      case 'M': {
        std::string k, v;
        ok = Take(in, &k) && Take(in, &v);
        d.metadata[k] = v;
        break;
      }
      case 'F':
        ok = Take(in, &d.fields.emplace_back().field) && Take(in, &d.fields.back().description);
        break;
      case 'P': {
        auto& p = d.preconditions.emplace_back();
        ok = Take(in, &p.type) && Take(in, &p.subject) && Take(in, &p.description);
        break;
      }
      case 'T':
        ok = Take(in, &d.resource_type) && Take(in, &d.resource_name);
        break;
      default:
        ok = false;
    }
    if (!ok) return std::nullopt;
  }
  return d;
}

}  // namespace

std::optional<ErrorDetails> ErrorDetailsOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorDetailsPayloadKey);
  if (!payload) return std::nullopt;
  return Decode(std::string(*payload));
}

absl::Status WithDetails(absl::Status status, const ErrorDetails& details) {
  if (details.empty()) {
    status.ErasePayload(kErrorDetailsPayloadKey);
  } else {
    status.SetPayload(kErrorDetailsPayloadKey, absl::Cord(Encode(details)));
  }
  return status;
}

ErrorBuilder::ErrorBuilder(absl::StatusCode code, std::string message)
    : code_(code), message_(Safe(message, kMaxMessageCodePoints)) {}

ErrorBuilder& ErrorBuilder::Reason(absl::string_view reason) {
  details_.reason = Safe(reason, 64);
  return *this;
}

ErrorBuilder& ErrorBuilder::Meta(absl::string_view key, absl::string_view value) {
  details_.metadata[Safe(key, 64)] = Safe(value, 256);
  return *this;
}

ErrorBuilder& ErrorBuilder::Field(absl::string_view field, absl::string_view description) {
  details_.fields.push_back({Safe(field, 200), Safe(description, 300)});
  return *this;
}

ErrorBuilder& ErrorBuilder::Precondition(absl::string_view type, absl::string_view subject,
                                         absl::string_view description) {
  details_.preconditions.push_back({Safe(type, 64), Safe(subject, 200), Safe(description, 300)});
  return *this;
}

ErrorBuilder& ErrorBuilder::Resource(absl::string_view type, absl::string_view name) {
  details_.resource_type = Safe(type, 64);
  details_.resource_name = Safe(name, 200);
  return *this;
}

absl::Status ErrorBuilder::Build() const { return WithDetails(absl::Status(code_, message_), details_); }

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  return ErrorBuilder(absl::StatusCode::kInvalidArgument, absl::StrCat("invalid ", field, ": ", description))
      .Field(field, description)
      .Reason("INVALID_FIELD");
}

absl::Status WithMessage(const absl::Status& from, std::string message) {
  absl::Status out(from.code(), message);
  from.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

std::string StatusCodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

}  // namespace fairtrace
