// The five stages of the pipeline (pipeline.h), one file each:
//
//   audit_stage.cc         one audit record per exchange, when the answer leaves
//   throttle_stage.cc      credential stuffing: failures slow the guesser down
//   authenticate_stage.cc  the caller's credential, verified once
//   key_limit_stage.cc     a key's rate and concurrency limits (seed 004)
//   decide_stage.cc        admin, write scope, the seed-001 decision; one 403
//   usage_stage.cc         usage per API key, counted when the answer leaves
//                          (outermost, so it sees the final status)
//
// Each refuses by answering; none passes a request on when its service
// fails (fail closed: 401, 403 or 503).
#pragma once

#include <memory>

#include "pipeline/services.h"
#include "pipeline/stage.h"

namespace latchkey::pipeline {

std::unique_ptr<Stage> make_audit_stage(const Services& services);
std::unique_ptr<Stage> make_throttle_stage(const Services& services);
std::unique_ptr<Stage> make_authenticate_stage(const Services& services);
std::unique_ptr<Stage> make_key_limit_stage(const Services& services);
std::unique_ptr<Stage> make_decide_stage(const Services& services);
// Null when services.usage is null (nothing to count).
std::unique_ptr<Stage> make_usage_stage(const Services& services);

}  // namespace latchkey::pipeline
