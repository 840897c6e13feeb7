module listing-03-01

go 1.19
