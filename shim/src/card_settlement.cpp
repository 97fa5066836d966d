#include "card_settlement.hpp"

namespace shim {

const char* const kPaymentsRole = "boxoffice_payments";

std::vector<Statement> settlement_statements() {
  return {
      {"settle_card_payment",
       "SELECT to_jsonb(p) FROM boxoffice.settle_card_payment($1, $2::boolean, $3::bigint, nullif($4, ''), nullif($5, '')) p", 5},
      {"settle_card_refund", "SELECT to_jsonb(p) FROM boxoffice.settle_card_refund($1) p", 1},
      {"card_payments_to_settle",
       "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]')"
       "  FROM boxoffice.card_payments_to_settle(make_interval(secs => $1::int), $2::int) x", 2},
      {"record_reconciliation",
       "SELECT to_jsonb(boxoffice.record_reconciliation($1::timestamptz, $2::int, $3::int, $4::int, $5::int, $6::int, $7::int, $8))", 8},
      // the buyer's own view of the outcome, as the confirm route answers it
      {"card_payment_outcome", "SELECT to_jsonb(p) FROM boxoffice.card_payment_outcome($1::bigint) p", 1},
  };
}

std::optional<QueryResult> settle_payment(Pool& pool, const std::string& order_id, const GatewayVerdict& verdict) {
  if (verdict.kind == GatewayVerdict::Kind::unknown) return std::nullopt;
  bool approved = verdict.kind == GatewayVerdict::Kind::approved;
  return pool.execute(kPaymentsRole, "", "settle_card_payment",
                      {order_id, approved ? "true" : "false",
                       approved ? std::optional<std::string>(std::to_string(verdict.amount)) : std::nullopt,
                       verdict.payment_key, verdict.failure});
}

std::optional<QueryResult> settle_refund(Pool& pool, const std::string& order_id) {
  return pool.execute(kPaymentsRole, "", "settle_card_refund", {order_id});
}

}  // namespace shim
