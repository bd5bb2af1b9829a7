drop extension if exists pgcrypto;
