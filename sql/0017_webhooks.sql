-- Webhooks for integrations (issue 22), e.g. a coordinators' chat bridge. Admin-only. A delivery
-- says how many notifications of each kind were written since the last one, and nothing else:
-- no recipient, no object, no title. Signed as Standard Webhooks (HMAC-SHA256 over id,
-- timestamp and body) with the subscription's secret, which the service must keep to sign.
CREATE TABLE webhook_subscriptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    secret text NOT NULL CHECK (secret LIKE 'whsec_%'),
    events text[] NOT NULL,
    created_by uuid REFERENCES participants (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- The newest notification a delivery has counted (a new subscription starts from now).
    delivered_through bigint NOT NULL DEFAULT 0,
    -- Failed deliveries in a row; at the limit the subscription is disabled.
    failures integer NOT NULL DEFAULT 0,
    disabled_at timestamptz,
    deleted_at timestamptz
)
-- statement-break
CREATE TABLE webhook_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id),
    payload text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    given_up_at timestamptz,
    last_status integer
)
-- statement-break
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND given_up_at IS NULL
