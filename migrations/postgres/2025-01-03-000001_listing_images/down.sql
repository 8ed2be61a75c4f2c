DROP TABLE listing_images;
