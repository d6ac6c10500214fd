// Frontend: what the HTTP server serves: the web pages (web::Site), and the REST API for /api/..., /healthz,
// /readyz, /metrics and the predecessor's routes. Thread-safe as its two parts are.
#pragma once

#include "api/api.hpp"
#include "net/http.hpp"
#include "web/site.hpp"

namespace mh::cli {

class Frontend final : public net::Handler {
  public:
    Frontend(web::Site& site, api::Api& api) : site_(site), api_(api) {}

    void Handle(net::Request request, net::Reply reply) override {
        if (web::Site::Owns(request.path)) {
            site_.Handle(std::move(request), std::move(reply));
        } else {
            api_.Handle(std::move(request), std::move(reply));
        }
    }

    bool RunsInline(const net::Request& request) const override {
        return !web::Site::Owns(request.path) && api_.RunsInline(request);
    }

  private:
    web::Site& site_;
    api::Api& api_;
};

}  // namespace mh::cli
