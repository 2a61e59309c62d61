#include "registry/content/content_store.h"

#include "common/content/tree_names.h"
#include "registry/core/audited.h"
#include "registry/core/page_token.h"

#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/text/utf8.h"

namespace fairtrace {
namespace {

constexpr int64_t kMaxManifestBytes = int64_t{256} << 20;
constexpr int kMaxListedMissing = 100;

absl::Status NotFound(const Digest& d) {
  return ErrorBuilder(absl::StatusCode::kNotFound, absl::StrCat("blob ", d.ToString(), " not found"))
      .Reason("BLOB_NOT_FOUND")
      .Resource("blob", BlobResourceName(d));
}

absl::Status TreeNotFound(const Digest& digest) {
  return ErrorBuilder(absl::StatusCode::kNotFound,
                      absl::StrCat("no tree ", digest.ToString(), " (upload its manifest and call CreateTree)"))
      .Reason("TREE_NOT_FOUND")
      .Resource("tree", TreeResourceName(digest));
}

// GetTree pages: the offset of the next entry, in a token bound to the tree.
std::string TreePageKind(const Digest& tree) { return absl::StrCat("tree:", tree.ToString()); }

}  // namespace

// ------------------------------------------------------------ WriteSession

WriteSession::~WriteSession() {
  if (ended_) return;
  int64_t committed = upload_->committed();
  upload_.reset();  // syncs the committed bytes
  AppendStandaloneAudit(cas_->store_, ctx_, resource_,
                        absl::CancelledError(absl::StrCat("interrupted at ", committed, " bytes")));
}

absl::Status WriteSession::Append(int64_t write_offset, absl::string_view data) {
  if (write_offset != upload_->committed()) {
    return ErrorBuilder(
               absl::StatusCode::kInvalidArgument,
               absl::StrCat("write_offset ", write_offset, " is not the committed size ", upload_->committed()))
        .Field("write_offset", "must equal the committed size")
        .Reason("WRITE_OFFSET_MISMATCH")
        .Meta("committed_size", absl::StrCat(upload_->committed()));
  }
  absl::Status s = upload_->Append(data);
  if (!s.ok() && absl::IsInvalidArgument(s)) {  // the upload was discarded
    ended_ = true;
    cas_->Unreserve(upload_->id());
    AppendStandaloneAudit(cas_->store_, ctx_, resource_, s);
  }
  return s;
}

absl::StatusOr<int64_t> WriteSession::Finish() {
  ended_ = true;
  absl::Status s = upload_->Finish();
  cas_->Unreserve(upload_->id());  // verified and in place, or discarded
  if (!s.ok()) {
    AppendStandaloneAudit(cas_->store_, ctx_, resource_, s);
    return s;
  }
  const Digest& d = upload_->digest();
  FT_RETURN_IF_ERROR(
      cas_->store_->CommitBlobs({StoredBlob{d, BlobLocation::Loose()}}, MakeAuditEntry(ctx_, BlobResourceName(d), s)));
  return d.size_bytes;
}

absl::StatusOr<Digest> StreamedBlob::Finish() {
  FT_ASSIGN_OR_RETURN(Digest d, writer_->Finish());
  FT_ASSIGN_OR_RETURN(std::vector<bool> has, cas_->store_->HasBlobs({d}));
  if (has[0]) return d;  // already stored: the temp file goes with the writer
  FT_RETURN_IF_ERROR(writer_->Publish());
  FT_RETURN_IF_ERROR(cas_->store_->CommitBlobs({StoredBlob{d, BlobLocation::Loose()}},
                                               MakeAuditEntry(ctx_, BlobResourceName(d), absl::OkStatus())));
  return d;
}

// ------------------------------------------------------------ ContentStore

absl::Status ContentStore::RequireVisible(const Digest& d) {
  FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs({d}));
  return has[0] ? absl::OkStatus() : NotFound(d);
}

absl::StatusOr<BlobLocation> ContentStore::Locate(const Digest& d) {
  FT_ASSIGN_OR_RETURN(std::optional<BlobRow> row, store_->GetBlob(d));
  if (!row) return NotFound(d);
  return row->location;
}

absl::StatusOr<std::vector<Digest>> ContentStore::FindMissing(absl::Span<const Digest> digests) {
  if (static_cast<int64_t>(digests.size()) > limits_.max_find_missing) {
    return InvalidField("blob_digests",
                        absl::StrCat("at most ", limits_.max_find_missing, " digests per call, got ", digests.size()));
  }
  for (size_t i = 0; i < digests.size(); ++i) {
    FT_RETURN_IF_ERROR(ValidateDigest(digests[i], absl::StrCat("blob_digests[", i, "]")));
  }
  FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs(digests));
  std::vector<Digest> missing;
  for (size_t i = 0; i < digests.size(); ++i) {
    if (!has[i]) missing.push_back(digests[i]);
  }
  return missing;
}

absl::StatusOr<std::vector<absl::Status>> ContentStore::BatchUpdate(
    const CallContext& ctx, absl::Span<const std::pair<Digest, absl::string_view>> items) {
  if (static_cast<int64_t>(items.size()) > limits_.max_batch_blobs) {
    return InvalidField("requests",
                        absl::StrCat("at most ", limits_.max_batch_blobs, " blobs per batch, got ", items.size()));
  }
  int64_t total = 0;
  for (const auto& [d, data] : items) total += static_cast<int64_t>(data.size());
  if (total > limits_.max_batch_bytes) {
    return InvalidField("requests", absl::StrCat("batch holds ", total, " bytes, at most ", limits_.max_batch_bytes,
                                                 " are allowed; use Write for large blobs"));
  }
  std::vector<absl::Status> out(items.size());
  std::vector<Digest> digests;
  for (const auto& [d, data] : items) digests.push_back(d);
  // Blobs already visible are not written again (dedup).
  std::vector<bool> visible(items.size(), false);
  {
    std::vector<Digest> valid_digests;
    std::vector<size_t> valid_index;
    for (size_t i = 0; i < items.size(); ++i) {
      out[i] = ValidateDigest(items[i].first, absl::StrCat("requests[", i, "].digest"), limits_.max_blob_size);
      if (out[i].ok()) {
        valid_digests.push_back(items[i].first);
        valid_index.push_back(i);
      }
    }
    FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs(valid_digests));
    for (size_t k = 0; k < has.size(); ++k) visible[valid_index[k]] = has[k];
  }
  std::vector<std::pair<Digest, absl::string_view>> to_write;
  std::vector<size_t> write_index;
  for (size_t i = 0; i < items.size(); ++i) {
    if (out[i].ok() && !visible[i]) {
      to_write.push_back(items[i]);
      write_index.push_back(i);
    }
  }
  std::vector<BlobStore::PutResult> put = blobs_->PutBatch(to_write);
  std::vector<StoredBlob> stored;
  for (size_t k = 0; k < put.size(); ++k) {
    out[write_index[k]] = put[k].status;
    if (put[k].status.ok()) stored.push_back(StoredBlob{to_write[k].first, put[k].location});
  }
  absl::Status first_error;
  for (const absl::Status& s : out) {
    if (!s.ok()) {
      first_error = s;
      break;
    }
  }
  if (stored.empty()) {
    AppendStandaloneAudit(store_, ctx, "blobs", first_error);
    return out;
  }
  absl::Status committed = store_->CommitBlobs(stored, MakeAuditEntry(ctx, "blobs", first_error));
  if (!committed.ok()) {
    for (size_t k = 0; k < put.size(); ++k) {
      if (out[write_index[k]].ok()) out[write_index[k]] = committed;
    }
  }
  return out;
}

std::vector<absl::StatusOr<std::string>> ContentStore::BatchRead(absl::Span<const Digest> digests) {
  std::vector<absl::StatusOr<std::string>> out;
  out.reserve(digests.size());
  int64_t total = 0;
  for (size_t i = 0; i < digests.size(); ++i) {
    absl::Status v = ValidateDigest(digests[i], absl::StrCat("digests[", i, "]"));
    if (v.ok() && total + digests[i].size_bytes > limits_.max_batch_bytes) {
      v = ErrorBuilder(absl::StatusCode::kResourceExhausted,
                       absl::StrCat("batch read exceeds ", limits_.max_batch_bytes, " bytes; read this blob with Read"))
              .Reason("BATCH_TOO_LARGE");
    }
    if (!v.ok()) {
      out.push_back(v);
      continue;
    }
    auto where = Locate(digests[i]);
    if (!where.ok()) {
      out.push_back(where.status());
      continue;
    }
    total += digests[i].size_bytes;
    out.push_back(blobs_->ReadAll(digests[i], *where));
  }
  return out;
}

absl::StatusOr<WriteStart> ContentStore::BeginWrite(const CallContext& ctx, absl::string_view resource_name,
                                                    int64_t write_offset) {
  auto parsed = ParseUploadResourceName(resource_name);
  absl::Status valid =
      parsed.ok() ? ValidateDigest(parsed->digest, "resource_name", limits_.max_blob_size) : parsed.status();
  if (!valid.ok()) {
    AppendStandaloneAudit(store_, ctx, std::string(resource_name), valid);
    return valid;
  }
  const Digest& d = parsed->digest;
  std::string resource(resource_name);
  FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs({d}));
  if (has[0]) {  // dedup: nothing to write
    AppendStandaloneAudit(store_, ctx, BlobResourceName(d), absl::OkStatus());
    return WriteStart{nullptr, d.size_bytes};
  }
  if (blobs_->FileExists(d)) {
    // Verified bytes left by a crash between rename and commit: commit them.
    FT_RETURN_IF_ERROR(store_->CommitBlobs({StoredBlob{d, BlobLocation::Loose()}},
                                           MakeAuditEntry(ctx, BlobResourceName(d), absl::OkStatus())));
    return WriteStart{nullptr, d.size_bytes};
  }
  if (absl::Status q = Reserve(parsed->upload_id, d, ctx.principal); !q.ok()) {
    AppendStandaloneAudit(store_, ctx, resource, q);
    return q;
  }
  auto upload = blobs_->OpenUpload(parsed->upload_id, d, ctx.principal);
  if (!upload.ok()) {
    // Nothing of this call's own is on disk (another stream, or another
    // principal, holds the id): the reservation stays with whoever holds it.
    if (!absl::IsAborted(upload.status()) && !absl::IsPermissionDenied(upload.status())) {
      Unreserve(parsed->upload_id);
    }
    AppendStandaloneAudit(store_, ctx, resource, upload.status());
    return upload.status();
  }
  auto session = std::unique_ptr<WriteSession>(new WriteSession(this, ctx, std::move(resource), *std::move(upload)));
  if (write_offset != session->committed()) {
    absl::Status err = ErrorBuilder(absl::StatusCode::kInvalidArgument,
                                    absl::StrCat("write_offset ", write_offset, " is not the committed size ",
                                                 session->committed(), "; resume from there"))
                           .Field("write_offset", "must equal the committed size (QueryWriteStatus)")
                           .Reason("WRITE_OFFSET_MISMATCH")
                           .Meta("committed_size", absl::StrCat(session->committed()));
    session->ended_ = true;  // the committed bytes stay for a correct resume
    AppendStandaloneAudit(store_, ctx, session->resource_, err);
    return err;
  }
  return WriteStart{std::move(session), 0};
}

absl::Status ContentStore::Reserve(const std::string& id, const Digest& d, const std::string& principal) {
  absl::MutexLock lock(&quota_mu_);
  if (!reservations_loaded_) ResyncReservations();
  if (reservations_.contains(id)) return absl::OkStatus();
  const UploadQuota& q = limits_.upload_quota;
  auto over = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(quota_mu_) -> std::string {
    int64_t mine = 0, total = 0;
    int count = 0;
    for (const auto& [other, r] : reservations_) {
      total += r.bytes;
      if (r.principal == principal) {
        mine += r.bytes;
        ++count;
      }
    }
    if (count + 1 > q.per_principal_uploads) {
      return absl::StrCat("you have ", count, " unfinished uploads; at most ", q.per_principal_uploads);
    }
    if (mine + d.size_bytes > q.per_principal_bytes) {
      return absl::StrCat("your unfinished uploads would hold ", mine + d.size_bytes, " bytes; at most ",
                          q.per_principal_bytes);
    }
    if (total + d.size_bytes > q.total_bytes) {
      return absl::StrCat("unfinished uploads would hold ", total + d.size_bytes, " bytes on this server; at most ",
                          q.total_bytes);
    }
    return "";
  };
  std::string problem = over();
  if (!problem.empty()) {
    ResyncReservations();  // abandoned uploads may have been cleaned since
    problem = over();
  }
  if (!problem.empty()) {
    return ErrorBuilder(absl::StatusCode::kResourceExhausted,
                        absl::StrCat(problem,
                                     "; finish or abort them (fairtrace upload abort), or wait: "
                                     "untouched ones are removed after a day"))
        .Reason("UPLOAD_QUOTA_EXCEEDED");
  }
  reservations_[id] = Reservation{principal, d.size_bytes};
  return absl::OkStatus();
}

void ContentStore::Unreserve(const std::string& id) {
  absl::MutexLock lock(&quota_mu_);
  reservations_.erase(id);
}

void ContentStore::ResyncReservations() {
  reservations_.clear();
  for (const BlobStore::PartialUpload& p : blobs_->ListPartialUploads()) {
    reservations_[p.id] = Reservation{p.principal, p.digest.size_bytes};
  }
  reservations_loaded_ = true;
}

absl::Status ContentStore::AbortUpload(const CallContext& ctx, absl::string_view resource_name) {
  absl::Status s = [&]() -> absl::Status {
    FT_ASSIGN_OR_RETURN(UploadResource r, ParseUploadResourceName(resource_name));
    FT_RETURN_IF_ERROR(blobs_->AbortUpload(r.upload_id, r.digest, ctx.principal));
    Unreserve(r.upload_id);
    return absl::OkStatus();
  }();
  AppendStandaloneAudit(store_, ctx, std::string(resource_name), s);
  return s;
}

absl::StatusOr<WriteStatus> ContentStore::QueryWrite(absl::string_view resource_name) {
  FT_ASSIGN_OR_RETURN(UploadResource r, ParseUploadResourceName(resource_name));
  FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs({r.digest}));
  if (has[0]) return WriteStatus{r.digest.size_bytes, true};
  FT_ASSIGN_OR_RETURN(int64_t committed, blobs_->PartialSize(r.upload_id, r.digest));
  return WriteStatus{committed, false};
}

absl::Status ContentStore::Read(absl::string_view resource_name, int64_t offset, int64_t limit, size_t chunk,
                                const std::function<bool(absl::string_view)>& sink) {
  FT_ASSIGN_OR_RETURN(Digest d, ParseBlobResourceName(resource_name));
  if (offset < 0) return InvalidField("read_offset", "must not be negative");
  if (limit < 0) return InvalidField("read_limit", "must not be negative");
  FT_ASSIGN_OR_RETURN(BlobLocation where, Locate(d));
  if (offset > d.size_bytes) {
    return ErrorBuilder(absl::StatusCode::kOutOfRange,
                        absl::StrCat("read_offset ", offset, " is past the end of the blob (", d.size_bytes, " bytes)"))
        .Field("read_offset", "past the end of the blob")
        .Reason("OFFSET_OUT_OF_RANGE");
  }
  if (d.size_bytes == 0 || offset == d.size_bytes) return absl::OkStatus();
  return blobs_->Read(d, where, offset, limit, chunk, sink);
}

absl::Status ContentStore::CheckNewTreeEntries(const std::vector<TreeEntry>& entries) {
  // New trees must be restorable where `pull` writes them (tree_names.h).
  std::vector<TreeNameProblem> problems = TreeRestoreProblems(entries);
  if (!problems.empty()) {
    ErrorBuilder err(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("the tree cannot be written back on every supported file system: ", problems[0].message));
    err.Reason("TREE_NOT_RESTORABLE");
    for (const TreeNameProblem& p : problems) err.Field(absl::StrCat("entries[", p.entry, "].path"), p.message);
    return err;
  }
  std::vector<Digest> refs;
  refs.reserve(entries.size());
  for (const TreeEntry& e : entries) refs.push_back(e.digest);
  FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs(refs));
  int missing = 0;
  ErrorBuilder err(absl::StatusCode::kFailedPrecondition, "");
  for (size_t i = 0; i < entries.size(); ++i) {
    if (has[i]) continue;
    if (missing++ < kMaxListedMissing) {
      err.Precondition("MISSING_BLOB", BlobResourceName(entries[i].digest), entries[i].path);
    }
  }
  if (missing > 0) {
    return WithMessage(err.Reason("MISSING_BLOBS").Meta("missing_count", absl::StrCat(missing)).Build(),
                       absl::StrCat("tree names ", missing, " blob(s) that are not stored; upload them first"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ContentStore::PreparedTree> ContentStore::PrepareTree(const CallContext& ctx, std::string manifest) {
  if (static_cast<int64_t>(manifest.size()) > kMaxManifestBytes) {
    return InvalidField("manifest", absl::StrCat("a tree manifest may have at most ", kMaxManifestBytes, " bytes"));
  }
  PreparedTree out;
  TreeToRegister& t = out.tree;
  t.digest = Digest{Sha256Hex(manifest), static_cast<int64_t>(manifest.size())};
  FT_ASSIGN_OR_RETURN(t.entries, ParseTree(manifest));
  FT_ASSIGN_OR_RETURN(std::optional<TreeRow> known, store_->GetTree(t.digest));
  out.registered = known.has_value();
  if (out.registered) return out;
  FT_RETURN_IF_ERROR(CheckNewTreeEntries(t.entries));
  FT_ASSIGN_OR_RETURN(std::vector<bool> stored, store_->HasBlobs({t.digest}));
  if (!stored[0]) {
    if (t.digest.size_bytes <= kMaxManifestInDatabase) {
      t.manifest = std::move(manifest);
    } else {
      FT_RETURN_IF_ERROR(PutBytes(ctx, manifest).status());
    }
  }
  return out;
}

absl::StatusOr<Digest> ContentStore::PutTree(const CallContext& ctx, std::string manifest) {
  FT_ASSIGN_OR_RETURN(PreparedTree prepared, PrepareTree(ctx, std::move(manifest)));
  const TreeToRegister& t = prepared.tree;
  if (prepared.registered) return t.digest;
  FT_RETURN_IF_ERROR(store_->CommitTree(t.digest, t.entries,
                                        MakeAuditEntry(ctx, TreeResourceName(t.digest), absl::OkStatus()),
                                        t.manifest ? &*t.manifest : nullptr));
  return t.digest;
}

absl::StatusOr<TreeRow> ContentStore::CreateTree(const CallContext& ctx, const Digest& digest) {
  absl::Status result = [&]() -> absl::Status {
    FT_RETURN_IF_ERROR(ValidateDigest(digest, "digest"));
    if (digest.size_bytes > kMaxManifestBytes) {
      return InvalidField("digest.size_bytes",
                          absl::StrCat("a tree manifest may have at most ", kMaxManifestBytes, " bytes"));
    }
    return absl::OkStatus();
  }();
  std::vector<TreeEntry> entries;
  absl::StatusOr<BlobLocation> where = result.ok() ? Locate(digest) : result;
  result = where.status();
  if (result.ok()) {
    auto bytes = blobs_->ReadAll(digest, *where);
    auto parsed = bytes.ok() ? ParseTree(*bytes) : absl::StatusOr<std::vector<TreeEntry>>(bytes.status());
    result = parsed.status();
    if (parsed.ok()) entries = *std::move(parsed);
  }
  if (result.ok()) result = CheckNewTreeEntries(entries);
  if (!result.ok()) {
    AppendStandaloneAudit(store_, ctx, TreeResourceName(digest), result);
    return result;
  }
  FT_RETURN_IF_ERROR(store_->CommitTree(digest, entries, MakeAuditEntry(ctx, TreeResourceName(digest), result)));
  FT_ASSIGN_OR_RETURN(std::optional<TreeRow> row, store_->GetTree(digest));
  if (!row) return absl::InternalError("tree vanished after commit");
  return *row;
}

absl::StatusOr<std::vector<TreeEntry>> ContentStore::TreeEntries(const Digest& digest) {
  FT_ASSIGN_OR_RETURN(std::optional<TreeRow> row, store_->GetTree(digest));
  if (!row) return TreeNotFound(digest);
  FT_ASSIGN_OR_RETURN(BlobLocation where, Locate(digest));
  FT_ASSIGN_OR_RETURN(std::string bytes, blobs_->ReadAll(digest, where));
  return ParseTree(bytes);
}

absl::StatusOr<std::string> ContentStore::ReadBlob(const Digest& digest, int64_t max_bytes) {
  FT_RETURN_IF_ERROR(ValidateDigest(digest, "digest"));
  if (digest.size_bytes > max_bytes) {
    return InvalidField("digest.size_bytes", absl::StrCat("at most ", max_bytes, " bytes can be read here"));
  }
  FT_ASSIGN_OR_RETURN(BlobLocation where, Locate(digest));
  return blobs_->ReadAll(digest, where);
}

absl::StatusOr<TreePage> ContentStore::GetTree(const Digest& digest, int page_size, absl::string_view page_token) {
  FT_RETURN_IF_ERROR(ValidateDigest(digest, "digest"));
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  if (page_size == 0) page_size = limits_.default_tree_page;
  page_size = std::min(page_size, limits_.max_tree_page);
  FT_ASSIGN_OR_RETURN(std::optional<TreeRow> row, store_->GetTree(digest));
  if (!row) return TreeNotFound(digest);
  FT_ASSIGN_OR_RETURN(std::string payload, DecodePageToken(token_key_, TreePageKind(digest), page_token));
  int64_t offset = 0;
  if (!payload.empty() && (!absl::SimpleAtoi(payload, &offset) || offset < 0 || offset > row->entry_count)) {
    return InvalidField("page_token", "not a page token of this tree; start again without one");
  }
  TreePage page{*row, {}, ""};
  const int64_t end = std::min<int64_t>(offset + page_size, row->entry_count);
  if (end < row->entry_count)
    page.next_page_token = EncodePageToken(token_key_, TreePageKind(digest), absl::StrCat(end));
  if (offset >= end) return page;
  FT_ASSIGN_OR_RETURN(std::optional<TreeIndexPoint> point, store_->TreeIndexPointAtOrBefore(digest, offset));
  if (!point) {
    // A tree stored before the page index: parse it once and index it.
    FT_ASSIGN_OR_RETURN(std::vector<TreeEntry> all, TreeEntries(digest));
    FT_RETURN_IF_ERROR(store_->PutTreeIndex(digest, TreeIndexPoints(all)));
    for (int64_t i = offset; i < end; ++i) page.entries.push_back(std::move(all[i]));
    return page;
  }
  // Read from the indexed line on, at most kTreeIndexStride lines before the
  // page and the page itself: memory and time per call are bounded by the
  // page, not by the tree.
  FT_ASSIGN_OR_RETURN(BlobLocation where, Locate(digest));
  int64_t line_no = point->entry;
  std::string carry;
  absl::Status parse_error;
  absl::Status read = blobs_->Read(digest, where, point->byte_offset, 0, 64 << 10, [&](absl::string_view chunk) {
    carry.append(chunk.data(), chunk.size());
    size_t start = 0;
    for (size_t nl; (nl = carry.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (line_no >= offset) {
        absl::StatusOr<TreeEntry> e = ParseTreeLine(absl::string_view(carry).substr(start, nl - start));
        if (!e.ok()) {
          parse_error = absl::DataLossError(
              absl::StrCat("stored tree ", digest.ToString(), " has a bad line ", line_no, " at its indexed offset"));
          return false;
        }
        page.entries.push_back(*std::move(e));
      }
      if (++line_no >= end) return false;
    }
    carry.erase(0, start);
    return true;
  });
  FT_RETURN_IF_ERROR(read);
  FT_RETURN_IF_ERROR(parse_error);
  if (static_cast<int64_t>(page.entries.size()) != end - offset) {
    return absl::DataLossError(absl::StrCat("stored tree ", digest.ToString(), " ends before entry ", end));
  }
  return page;
}

absl::StatusOr<BlobRow> ContentStore::GetBlob(const Digest& digest) {
  FT_RETURN_IF_ERROR(ValidateDigest(digest, "digest"));
  FT_ASSIGN_OR_RETURN(std::optional<BlobRow> row, store_->GetBlob(digest));
  if (!row) return NotFound(digest);
  return *row;
}

absl::StatusOr<Digest> ContentStore::PutBytes(const CallContext& ctx, absl::string_view bytes) {
  const Digest d{Sha256Hex(bytes), static_cast<int64_t>(bytes.size())};
  FT_ASSIGN_OR_RETURN(std::vector<bool> has, store_->HasBlobs({d}));
  if (has[0]) return d;
  std::pair<Digest, absl::string_view> item{d, bytes};
  FT_ASSIGN_OR_RETURN(std::vector<absl::Status> stored, BatchUpdate(ctx, {&item, 1}));
  FT_RETURN_IF_ERROR(stored[0]);
  return d;
}

absl::StatusOr<std::unique_ptr<StreamedBlob>> ContentStore::BeginStreamedBlob(const CallContext& ctx) {
  FT_ASSIGN_OR_RETURN(std::unique_ptr<HashingWriter> writer, blobs_->OpenHashingWriter());
  return std::unique_ptr<StreamedBlob>(new StreamedBlob(this, ctx, std::move(writer)));
}

absl::Status ContentStore::ReadBlobStream(const Digest& digest, int64_t offset, int64_t limit, size_t chunk,
                                          const std::function<bool(absl::string_view)>& sink) {
  FT_ASSIGN_OR_RETURN(BlobLocation where, Locate(digest));
  return blobs_->Read(digest, where, offset, limit, chunk, sink);
}

}  // namespace fairtrace
