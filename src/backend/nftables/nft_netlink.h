// The nf_tables netlink channel: one NETLINK_NETFILTER socket (libmnl), batches sent as one
// transaction, and get/dump requests.
//
// A Batch is one nfnetlink transaction (BATCH_BEGIN ... BATCH_END) in one contiguous buffer,
// sent with a single sendmsg. Every message has its own sequence number and a description of
// the object it touches (made only when an error needs it), so an error from the kernel names
// the table, chain, set or rule that caused it; with extended ACKs the kernel also points at the
// offending attribute, which for a rule is mapped back to the expression ("expression 3 (lookup)").
// The kernel applies all of a batch or nothing.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sys/mnl.h"

namespace kt::backend::nftables {

class Batch {
 public:
  // Names the object of a message ("chain nat_output"), called only for an error message;
  // what it refers to must live as long as the batch.
  using Describe = std::function<std::string()>;

  // Sequence numbers start at firstSeq (the BATCH_BEGIN message).
  explicit Batch(uint32_t firstSeq);

  // Appends one nf_tables message (type NFT_MSG_*, family inet). `build` fills the payload
  // with an nftnl_*_nlmsg_build_payload call; `what` names the object for error messages.
  void add(uint16_t type, uint16_t flags, Describe what,
           const std::function<void(nlmsghdr*)>& build);
  // The same with a fixed name.
  void add(uint16_t type, uint16_t flags, std::string what,
           const std::function<void(nlmsghdr*)>& build) {
    add(type, flags, Describe([w = std::move(what)] { return w; }), build);
  }

  // Appends BATCH_END and asks for an ACK on the last object message. Call once, last.
  void finish();

  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t messageCount() const { return msgs_.size(); }
  bool empty() const { return msgs_.empty(); }

  struct Message {
    uint32_t seq;
    size_t offset;  // in data()
    size_t len;
    uint16_t type;  // NFT_MSG_*
    Describe what;
  };
  const Message* find(uint32_t seq) const;
  const Message& last() const { return msgs_.back(); }
  uint32_t beginSeq() const { return firstSeq_; }
  uint32_t endSeq() const { return nextSeq_ - 1; }  // after finish(): the BATCH_END message

 private:
  nlmsghdr* reserve(size_t maxLen);
  void commit(nlmsghdr* nlh);

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t cap_ = 0;
  std::vector<Message> msgs_;
  uint32_t firstSeq_;
  uint32_t nextSeq_;
};

class NftSocket {
 public:
  // Opens and binds a NETLINK_NETFILTER socket in the current network namespace, with
  // extended ACKs and capped ACKs (errors do not echo our large messages back).
  static Result<NftSocket> open();

  NftSocket(NftSocket&&) noexcept = default;
  NftSocket& operator=(NftSocket&&) noexcept = default;

  uint32_t nextSeq() { return seq_++; }

  // Sends the batch (built with firstSeq = nextSeq()) as one transaction and reads the kernel's
  // answers. On failure the error names the first rejected object and the kernel's reason; nothing
  // of the batch is applied.
  Status commit(const Batch& batch);

  // A get or dump request: `type` is NFT_MSG_GET*, `flags` NLM_F_DUMP or NLM_F_ACK; `build`
  // fills the request payload; `onMessage` sees every reply message (return MNL_CB_OK to go
  // on, MNL_CB_ERROR to fail). Errors carry the errno (ENOENT when a get finds nothing).
  Status request(uint16_t type, uint16_t flags, const std::function<void(nlmsghdr*)>& build,
                 const std::function<int(const nlmsghdr*)>& onMessage);

 private:
  NftSocket(sys::MnlSocket sock, uint32_t portid, uint32_t seq)
      : sock_(std::move(sock)), portid_(portid), seq_(seq) {}

  Status growSendBuffer(size_t len);
  // The receive buffer, allocated on first use and not cleared (the kernel fills what we read).
  char* recvBuffer();

  sys::MnlSocket sock_;
  std::unique_ptr<char[]> recv_;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  size_t sndbuf_ = 0;
};

// Names the attribute at `offset` (an extended-ACK offset from the start of the message) of a
// message we sent: for a rule, "expression N (NAME)"; otherwise "attribute N". Empty when the
// offset is not inside an attribute.
std::string describeAttributeAt(const char* msg, size_t len, uint32_t offset);

}  // namespace kt::backend::nftables
