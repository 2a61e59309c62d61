DROP TABLE checkpoint_cosignatures;
DROP TABLE audit_merkle;
