#include "core/result.hpp"

namespace mh {

const char* ErrcName(Errc code) noexcept {
    switch (code) {
        case Errc::kInvalidArgument: return "invalid_argument";
        case Errc::kNotFound: return "not_found";
        case Errc::kAlreadyExists: return "already_exists";
        case Errc::kPermissionDenied: return "permission_denied";
        case Errc::kUnauthenticated: return "unauthenticated";
        case Errc::kResourceExhausted: return "resource_exhausted";
        case Errc::kUnavailable: return "unavailable";
        case Errc::kFailedPrecondition: return "failed_precondition";
        case Errc::kDataLoss: return "data_loss";
        case Errc::kNotImplemented: return "not_implemented";
        case Errc::kInternal: return "internal";
    }
    return "internal";
}

}  // namespace mh
