ALTER TABLE properties RESET (toast_tuple_target);
