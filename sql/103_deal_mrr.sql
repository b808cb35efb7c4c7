-- A deal's own monthly recurring revenue when the CRM states it (HubSpot's hs_mrr): taken as is,
-- instead of the amount over reconcile.contract_term_months (README "Owners, MRR and industries").
ALTER TABLE {{staging}}deals ADD COLUMN mrr DOUBLE PRECISION;
