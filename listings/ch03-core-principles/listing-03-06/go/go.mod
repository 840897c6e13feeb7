module listing-03-06

go 1.19
