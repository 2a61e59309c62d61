DROP TABLE miappe_entities;
DROP TABLE investigation_revisions;
DROP TABLE investigations;
