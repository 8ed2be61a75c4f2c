DROP TABLE source_state;
DROP TABLE properties;
