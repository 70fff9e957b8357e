#include "sim/sim_network.h"

#include "sim/sim_random.h"

namespace raft::sim {

SimNetwork::SimNetwork(EventQueue& events, Rng& rng, NetworkFaults faults, Deliver deliver)
    : events_(events), rng_(rng), faults_(faults), deliver_(std::move(deliver)) {}

SimTime SimNetwork::DrawDelay() {
  SimTime d = Between(rng_, faults_.delay_min_us, faults_.delay_max_us);
  if (Chance(rng_, faults_.slow_rate)) d += Between(rng_, 0, faults_.slow_delay_max_us);
  return d;
}

void SimNetwork::Send(const Message& m) {
  stats_.sent++;
  if (m.type == MessageType::kSnapshot) stats_.snapshots++;
  if (Blocked(m.from, m.to)) {
    stats_.cut++;
    return;
  }
  if (Chance(rng_, faults_.drop_rate)) {
    stats_.dropped++;
    return;
  }
  const int copies = Chance(rng_, faults_.duplicate_rate) ? 2 : 1;
  if (copies == 2) stats_.duplicated++;
  for (int i = 0; i < copies; i++) {
    events_.After(DrawDelay(), [this, m] {
      // A partition that formed while the message was in flight eats it.
      if (Blocked(m.from, m.to)) {
        stats_.cut++;
        return;
      }
      stats_.delivered++;
      deliver_(m);
    });
  }
}

}  // namespace raft::sim
