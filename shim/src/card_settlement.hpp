// Settling card-like payments with the gateway's word (card_payments.sql):
// the statements boxoffice-http runs as boxoffice_payments, without claims
// (the database names the buyer from the payment), after a confirm it sent
// and in each run of the reconciliation (reconciler.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gateway_client.hpp"
#include "pool.hpp"

namespace shim {

// Prepared by every connection of the pool, beside the routes' statements.
std::vector<Statement> settlement_statements();

// The role that may settle (security.sql).
extern const char* const kPaymentsRole;

// Records an approved or declined verdict; an unknown one changes nothing
// (nullopt without asking the database).
std::optional<QueryResult> settle_payment(Pool& pool, const std::string& order_id, const GatewayVerdict& verdict);
// Records that the gateway refunded a payment waiting in refund_pending.
std::optional<QueryResult> settle_refund(Pool& pool, const std::string& order_id);

}  // namespace shim
