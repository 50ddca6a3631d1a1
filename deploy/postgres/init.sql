-- auth's database is made by the image (POSTGRES_DB); query keeps its read models apart.
CREATE DATABASE invoices_query OWNER invoices;
