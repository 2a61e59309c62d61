DROP TABLE access_grants;
DROP TABLE access_tokens;
