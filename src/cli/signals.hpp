// Signal handling for foreground commands (simulators): block SIGINT/SIGTERM in every thread, then wait for
// them while reporting progress.
#pragma once

#include <signal.h>

namespace mh::cli {

// Waits for SIGINT/SIGTERM, or until `done` says the work is over (checked every `tick_s`, when `progress` runs).
template <class Done, class Progress>
void WaitForSignalOr(Done done, Progress progress, long tick_s = 5) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    const timespec tick{tick_s, 0};
    while (!done()) {
        siginfo_t info;
        if (sigtimedwait(&signals, &info, &tick) > 0) break;
        progress();
    }
}

inline void BlockSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

}  // namespace mh::cli
