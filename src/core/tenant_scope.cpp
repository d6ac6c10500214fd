#include "core/tenant_scope.hpp"

#include <string_view>

namespace mh {

const char* RoleName(Role role) noexcept {
    switch (role) {
        case Role::kViewer: return "viewer";
        case Role::kAdmin: return "admin";
        case Role::kOwner: return "owner";
    }
    return "viewer";
}

bool ParseRole(std::string_view text, Role& out) noexcept {
    for (Role r : {Role::kViewer, Role::kAdmin, Role::kOwner}) {
        if (text == RoleName(r)) {
            out = r;
            return true;
        }
    }
    return false;
}

}  // namespace mh
