// Status propagation macros. absl 20220623 (Debian 12) has neither
// RETURN_IF_ERROR nor ASSIGN_OR_RETURN, so fairtrace keeps this one small
// header of its own.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define FT_CONCAT_INNER_(a, b) a##b
#define FT_CONCAT_(a, b) FT_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define FT_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status ft_status_ = (expr);      \
    if (!ft_status_.ok()) return ft_status_; \
  } while (0)

// `lhs = *expr` when OK, otherwise returns the status.
#define FT_ASSIGN_OR_RETURN(lhs, expr) FT_ASSIGN_OR_RETURN_IMPL_(FT_CONCAT_(ft_statusor_, __LINE__), lhs, expr)

#define FT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()
