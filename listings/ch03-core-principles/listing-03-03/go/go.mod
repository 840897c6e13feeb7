module listing-03-03

go 1.19
