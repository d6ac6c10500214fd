// SampleNotice: what the journal tells the other instances about a commit, through PostgreSQL's NOTIFY on channel
// `mh_samples` (sent in the committing transaction, so delivered only once it commits), so their live dashboards
// show samples another instance acknowledged.
//
// One notice per tenant and payload, each at most kMaxNoticeBytes (PostgreSQL's limit is 8000), with the newest
// sample of each series in the commit — what a live dashboard shows. Text, one line each:
//   mh1 <origin> <tenant id>\n
//   <series id> <ts ms> <value>\n ...
// `origin` names the sending process, so it can skip its own (its dashboards heard of them already). Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/sample_journal.hpp"

namespace mh::store::postgres {

inline constexpr std::size_t kMaxNoticeBytes = 7000;
inline constexpr const char* kSampleChannel = "mh_samples";

struct SampleNotice {
    std::string origin;
    TenantId tenant;
    std::vector<JournalRow> rows;  // tenant set on each
};

// `origin`: letters, digits, '-' and '_' only.
std::vector<std::string> EncodeSampleNotices(std::string_view origin, std::span<const JournalRow> rows,
                                             std::size_t max_bytes = kMaxNoticeBytes);
// kInvalidArgument for anything that is not such a notice.
Result<SampleNotice> DecodeSampleNotice(std::string_view payload);

}  // namespace mh::store::postgres
